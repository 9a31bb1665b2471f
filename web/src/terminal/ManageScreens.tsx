import { session } from '../api/client';
import { type Ctx, mask, prompt, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 管理 (supervisor only): 修改退款密码 as the article says; 重新初始化 lives in ReinitScreens. */

async function changePassword(ctx: Ctx, values: string[]): Promise<void> {
  if (!ctx.operator) return;
  ctx.go({ kind: 'processing' });
  try {
    const [currentPassword, newPassword, confirmPassword] = values;
    await pos.changeRefundPassword(ctx.operator.merchantId, { currentPassword, newPassword, confirmPassword });
    // Every session of the merchant has ended: sign on again, as the article says.
    session.end();
    ctx.setOperator(undefined);
    ctx.go({
      kind: 'message',
      tone: 'ok',
      lines: [ctx.t('terminal.passwordChanged')],
      next: { kind: 'operator', digits: '' },
    });
  } catch (e) {
    ctx.fail(e, { kind: 'changePassword', step: 0, values: [], digits: '' });
  }
}

const PROMPTS = [
  'terminal.currentPasswordPrompt',
  'terminal.newPasswordPrompt',
  'terminal.confirmPasswordPrompt',
] as const;

export const manageScreens: Screens<'manage' | 'changePassword'> = {
  manage: {
    render: (_s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.manageTitle')}</h1>
        <ol className="menu menu-single">
          <li className="is-selected">1 {t('terminal.manageChangeRefundPassword')}</li>
          <li>2 {t('terminal.manageReinitialize')}</li>
          <li>3 {t('terminal.ops.title')}</li>
          <li>4 {t('terminal.forgot.title')}</li>
        </ol>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === '1' || key === 'enter') ctx.go({ kind: 'changePassword', step: 0, values: [], digits: '' });
      if (key === '2') ctx.go({ kind: 'reinit' });
      if (key === '3') ctx.go({ kind: 'operators' });
      if (key === '4') ctx.go({ kind: 'forgot' });
    },
  },
  changePassword: {
    render: (s, { t }) => prompt(t('terminal.manageChangeRefundPassword'), mask(s.digits), t(PROMPTS[s.step])),
    press: (s, key, ctx) => {
      if (key === 'cancel') {
        if (s.step === 0) return ctx.go({ kind: 'manage' });
        return ctx.go({
          kind: 'changePassword',
          step: (s.step - 1) as 0 | 1,
          values: s.values.slice(0, -1),
          digits: '',
        });
      }
      if (key === 'enter' && s.digits) {
        const values = [...s.values, s.digits];
        if (s.step === 2) return void changePassword(ctx, values);
        return ctx.go({ kind: 'changePassword', step: (s.step + 1) as 1 | 2, values, digits: '' });
      }
      ctx.go({ ...s, digits: typed(s.digits, key, 12) });
    },
  },
};
