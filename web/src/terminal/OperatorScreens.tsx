import { session } from '../api/client';
import { type Ctx, mask, prompt, type Screen, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/**
 * 管理 → 柜员管理, as on every vendor's terminal: `1 主管改密 2 增加 3 删除 4 查询 5 操作员改密`.
 * Each is a few entries in a row (operator no., password, confirm); the last one goes to the server.
 */
export type OpAction = 'own' | 'add' | 'delete' | 'reset';

interface Step {
  prompt: string;
  /** Two-digit operator no., or a masked password. */
  kind: 'code' | 'secret';
}

const STEPS: Record<OpAction, Step[]> = {
  own: [
    { prompt: 'terminal.currentPasswordPrompt', kind: 'secret' },
    { prompt: 'terminal.newPasswordPrompt', kind: 'secret' },
    { prompt: 'terminal.confirmPasswordPrompt', kind: 'secret' },
  ],
  add: [
    { prompt: 'terminal.operatorPrompt', kind: 'code' },
    { prompt: 'terminal.passwordPrompt', kind: 'secret' },
    { prompt: 'terminal.ops.confirmPrompt', kind: 'secret' },
  ],
  delete: [{ prompt: 'terminal.operatorPrompt', kind: 'code' }],
  reset: [
    { prompt: 'terminal.operatorPrompt', kind: 'code' },
    { prompt: 'terminal.newPasswordPrompt', kind: 'secret' },
    { prompt: 'terminal.confirmPasswordPrompt', kind: 'secret' },
  ],
};

const ITEMS = ['own', 'add', 'delete', 'list', 'reset'] as const;
const back: Screen = { kind: 'operators' };

function done(ctx: Ctx, line: string, next: Screen = back) {
  ctx.go({ kind: 'message', tone: 'ok', lines: [line], next });
}

async function list(ctx: Ctx): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const { data } = await pos.listOperators(ctx.terminal.id);
    const lines = data.map((o) => `${o.code} ${ctx.t(`terminal.ops.roles.${o.role}`)}`);
    ctx.go({ kind: 'message', tone: 'ok', lines: [ctx.t('terminal.ops.list'), ...lines], next: back });
  } catch (e) {
    ctx.fail(e, back);
  }
}

async function submit(ctx: Ctx, action: OpAction, values: string[]): Promise<void> {
  const { t, terminal } = ctx;
  if (!terminal) return;
  const [first, second, third] = values;
  const confirmed = action === 'own' ? second === third : action === 'delete' || second === third;
  if (!confirmed) {
    return ctx.go({
      kind: 'message',
      tone: 'error',
      lines: [t('terminal.ops.mismatch')],
      next: { kind: 'opEntry', action, step: 0, values: [], digits: '' },
    });
  }
  if (action === 'delete') return ctx.go({ kind: 'opDelete', code: first });
  ctx.go({ kind: 'processing' });
  try {
    if (action === 'own') {
      await pos.changeOwnPassword({ currentPassword: first, newPassword: second, confirmPassword: third });
      // Every session of this operator has ended: sign on again with the new password.
      session.end();
      ctx.setOperator(undefined);
      return done(ctx, t('terminal.ownPasswordChanged'), { kind: 'operator', digits: '' });
    }
    if (action === 'add') {
      await pos.addOperator(terminal.id, first, second);
      return done(ctx, t('terminal.ops.added', { code: first }));
    }
    await pos.resetOperatorPassword(terminal.id, first, second);
    done(ctx, t('terminal.ops.reset', { code: first }));
  } catch (e) {
    ctx.fail(e, { kind: 'opEntry', action, step: 0, values: [], digits: '' });
  }
}

async function remove(ctx: Ctx, code: string): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    await pos.deleteOperator(ctx.terminal.id, code);
    done(ctx, ctx.t('terminal.ops.deleted', { code }));
  } catch (e) {
    ctx.fail(e, back);
  }
}

export const operatorScreens: Screens<'operators' | 'opEntry' | 'opDelete'> = {
  operators: {
    render: (_s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.ops.title')}</h1>
        <ol className="menu">
          {ITEMS.map((item, i) => (
            <li key={item}>
              {i + 1} {t(`terminal.ops.items.${item}`)}
            </li>
          ))}
        </ol>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'manage' });
      const item = ITEMS[Number(key) - 1];
      if (!item || key === '00') return;
      if (item === 'list') return void list(ctx);
      ctx.go({ kind: 'opEntry', action: item, step: 0, values: [], digits: '' });
    },
  },
  opEntry: {
    render: (s, { t }) => {
      const step = STEPS[s.action][s.step];
      const value = step.kind === 'code' ? s.digits || '__' : mask(s.digits);
      return prompt(t(`terminal.ops.items.${s.action}`), value, t(step.prompt));
    },
    press: (s, key, ctx) => {
      const steps = STEPS[s.action];
      const step = steps[s.step];
      if (key === 'cancel') {
        if (s.step === 0) return ctx.go(back);
        return ctx.go({ ...s, step: s.step - 1, values: s.values.slice(0, -1), digits: '' });
      }
      if (key === 'enter') {
        if (step.kind === 'code' ? s.digits.length !== 2 : !s.digits) return;
        const values = [...s.values, s.digits];
        if (s.step === steps.length - 1) return void submit(ctx, s.action, values);
        return ctx.go({ ...s, step: s.step + 1, values, digits: '' });
      }
      ctx.go({ ...s, digits: typed(s.digits, key, step.kind === 'code' ? 2 : 12) });
    },
  },
  opDelete: {
    render: (s, { t }) => prompt(t('terminal.ops.items.delete'), s.code, t('terminal.ops.deleteConfirm')),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go(back);
      if (key === 'enter') void remove(ctx, s.code);
    },
  },
};
