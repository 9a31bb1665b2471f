import { session } from '../api/client';
import { type Ctx, mask, prompt, type Screen, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/**
 * 管理 → 忘记退款密码: `1 代理商解锁` shows a challenge the agent turns into an 8-digit unlock code;
 * `2 短信` / `3 邮件` send a 6-digit code to the merchant's registered contact. Either code, then
 * the new password twice; every session ends, as after any change of the refund password.
 */
export type Way = 'agent' | 'sms' | 'email';

const WAYS = ['agent', 'sms', 'email'] as const;
const PROMPTS = ['', 'terminal.newPasswordPrompt', 'terminal.confirmPasswordPrompt'] as const;
const back: Screen = { kind: 'forgot' };

async function start(ctx: Ctx, way: Way): Promise<void> {
  const { terminal, operator } = ctx;
  if (!terminal || !operator) return;
  ctx.go({ kind: 'processing' });
  try {
    if (way === 'agent') {
      const { challenge } = await pos.unlockChallenge(terminal.id);
      return ctx.go({ kind: 'forgotChallenge', challenge });
    }
    await pos.sendRecoveryCode(operator.merchantId, way);
    ctx.go({ kind: 'forgotEntry', way, step: 0, values: [], digits: '' });
  } catch (e) {
    ctx.fail(e, back);
  }
}

async function finish(ctx: Ctx, way: Way, [code, newPassword, confirmPassword]: string[]): Promise<void> {
  const { terminal, operator, t } = ctx;
  if (!terminal || !operator) return;
  ctx.go({ kind: 'processing' });
  try {
    if (way === 'agent') await pos.resetWithUnlockCode(terminal.id, { unlockCode: code, newPassword, confirmPassword });
    else await pos.verifyRecoveryCode(operator.merchantId, { code, newPassword, confirmPassword });
    session.end();
    ctx.setOperator(undefined);
    ctx.go({
      kind: 'message',
      tone: 'ok',
      lines: [t('terminal.passwordChanged')],
      next: { kind: 'operator', digits: '' },
    });
  } catch (e) {
    ctx.fail(e, { kind: 'forgotEntry', way, step: 0, values: [], digits: '' });
  }
}

export const forgotScreens: Screens<'forgot' | 'forgotChallenge' | 'forgotEntry'> = {
  forgot: {
    render: (_s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.forgot.title')}</h1>
        <ol className="menu menu-single">
          {WAYS.map((way, i) => (
            <li key={way}>
              {i + 1} {t(`terminal.forgot.ways.${way}`)}
            </li>
          ))}
        </ol>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'manage' });
      const way = WAYS[Number(key) - 1];
      if (way && key !== '00') void start(ctx, way);
    },
  },
  forgotChallenge: {
    render: (s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.forgot.ways.agent')}</h1>
        <p>{t('terminal.forgot.challengeHint')}</p>
        <output className="screen-value" aria-label={t('terminal.forgot.challenge')}>
          {s.challenge.replace(/(\d{5})(\d{5})/, '$1 $2')}
        </output>
        <p className="screen-hint">{t('terminal.forgot.challengeNext')}</p>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go(back);
      if (key === 'enter') ctx.go({ kind: 'forgotEntry', way: 'agent', step: 0, values: [], digits: '' });
    },
  },
  forgotEntry: {
    render: (s, { t }) => {
      const title = t(`terminal.forgot.ways.${s.way}`);
      if (s.step > 0) return prompt(title, mask(s.digits), t(PROMPTS[s.step]));
      if (s.way === 'agent') return prompt(title, s.digits || '\u00a0', t('terminal.forgot.unlockCodePrompt'));
      // Where the code went: the cashier knows whom to ask for it (sent only if that contact is registered).
      return (
        <>
          {prompt(title, s.digits || '\u00a0', t('terminal.forgot.codePrompt'))}
          <p className="screen-hint">{t(`terminal.forgot.sent.${s.way}`)}</p>
        </>
      );
    },
    press: (s, key, ctx) => {
      const codeLength = s.way === 'agent' ? 8 : 6;
      if (key === 'cancel') {
        if (s.step === 0) return ctx.go(back);
        return ctx.go({ ...s, step: s.step - 1, values: s.values.slice(0, -1), digits: '' });
      }
      if (key === 'enter') {
        if (s.step === 0 ? s.digits.length !== codeLength : !s.digits) return;
        const values = [...s.values, s.digits];
        if (s.step === 2) return void finish(ctx, s.way, values);
        return ctx.go({ ...s, step: s.step + 1, values, digits: '' });
      }
      ctx.go({ ...s, digits: typed(s.digits, key, s.step === 0 ? codeLength : 12) });
    },
  },
};
