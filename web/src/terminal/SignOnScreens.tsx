import { session } from '../api/client';
import { isDigit } from './keys';
import { refundPasswordIsSet } from './reinit-api';
import { type Ctx, mask, prompt, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 签到 and 签退: binding the browser to a terminal, sign-on, a forced password change, messages. */

export async function signOn(ctx: Ctx, code: string, password: string): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const r = await pos.signOn(ctx.terminal.id, code, password);
    session.start(r.token);
    ctx.setOperator({ code, role: r.role, merchantId: r.actor.merchantId ?? '' });
    // A supervisor reset this password: the session may only change it, with the one just typed.
    // 00 after a re-initialisation (its activation code) or without a refund password: activation.
    if (r.mustChangePassword && code === '00') ctx.go({ kind: 'activate', current: password });
    else if (r.mustChangePassword) ctx.go({ kind: 'ownPassword', current: password, step: 0, values: [], digits: '' });
    else if (code === '00' && !(await refundPasswordIsSet(r.actor.merchantId ?? '')))
      ctx.go({ kind: 'activate', current: null });
    else ctx.go({ kind: 'menu', cursor: 0 });
    ctx.refreshBatch();
  } catch (e) {
    ctx.fail(e, { kind: 'operator', digits: '' });
  }
}

export async function signOff(ctx: Ctx, lines: string[]): Promise<void> {
  try {
    await pos.signOff();
  } catch {
    // A session the server already ended is signed off all the same.
  }
  session.end();
  ctx.setOperator(undefined);
  ctx.go({ kind: 'message', tone: 'ok', lines, next: { kind: 'welcome' } });
}

async function changeOwnPassword(ctx: Ctx, current: string, values: string[]): Promise<void> {
  ctx.go({ kind: 'processing' });
  const again = { kind: 'operator', digits: '' } as const;
  try {
    await pos.changeOwnPassword({ currentPassword: current, newPassword: values[0], confirmPassword: values[1] });
    ctx.go({ kind: 'message', tone: 'ok', lines: [ctx.t('terminal.ownPasswordChanged')], next: again });
  } catch (e) {
    ctx.go({ kind: 'message', tone: 'error', lines: ctx.failure(e), next: again });
  }
  session.end();
  ctx.setOperator(undefined);
}

function waiting(ctx: Ctx) {
  return (
    <>
      <h1 className="screen-title">{ctx.t('terminal.processing')}</h1>
      <p className="screen-hint">{ctx.t('terminal.connecting')}</p>
    </>
  );
}

export const signOnScreens: Screens<
  'loading' | 'processing' | 'bind' | 'welcome' | 'operator' | 'password' | 'message' | 'ownPassword'
> = {
  loading: { render: (_s, ctx) => waiting(ctx), press: () => {} },
  processing: { render: (_s, ctx) => waiting(ctx), press: () => {} },
  bind: {
    render: (s, { t, serialText, setSerialText, bind }) => (
      <form
        className="bind-form"
        onSubmit={(e) => {
          e.preventDefault();
          void bind(serialText);
        }}
      >
        <h1 className="screen-title">{t('terminal.bindTitle')}</h1>
        <label htmlFor="serial">{t('terminal.bindPrompt')}</label>
        <input
          id="serial"
          name="serial"
          autoComplete="off"
          // biome-ignore lint/a11y/noAutofocus: the only thing to do on this screen
          autoFocus
          placeholder={t('terminal.bindExample')}
          value={serialText}
          onChange={(e) => setSerialText(e.target.value)}
        />
        {s.error && <p className="screen-error">{s.error}</p>}
      </form>
    ),
    press: (_s, key, ctx) => {
      if (key === 'enter') void ctx.bind(ctx.serialText);
      else if (key === 'clear') ctx.setSerialText((v) => v.slice(0, -1));
      else if (isDigit(key)) ctx.setSerialText((v) => (v + key).slice(0, 32));
    },
  },
  welcome: {
    render: (_s, { t, terminal }) =>
      prompt(t('terminal.welcome'), terminal?.merchantName ?? '', t('terminal.pressEnterToSignOn')),
    press: (_s, key, ctx) => {
      if (key === 'enter' || key === 'fn') ctx.go({ kind: 'operator', digits: '' });
    },
  },
  operator: {
    render: (s, { t }) => prompt(t('terminal.signOnTitle'), s.digits || '__', t('terminal.operatorPrompt')),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'welcome' });
      if (key === 'enter' && s.digits.length === 2) return ctx.go({ kind: 'password', operator: s.digits, digits: '' });
      ctx.go({ ...s, digits: typed(s.digits, key, 2) });
    },
  },
  password: {
    render: (s, { t }) => prompt(t('terminal.signOnTitle'), mask(s.digits), t('terminal.passwordPrompt')),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'operator', digits: s.operator });
      if (key === 'enter' && s.digits) return void signOn(ctx, s.operator, s.digits);
      ctx.go({ ...s, digits: typed(s.digits, key, 12) });
    },
  },
  message: {
    render: (s, { t }) => (
      <div className={`screen-message tone-${s.tone}`}>
        {s.lines.map((line) => (
          <p key={line}>{line}</p>
        ))}
        <p className="screen-hint">{t('terminal.pressEnter')}</p>
      </div>
    ),
    press: (s, key, ctx) => {
      if (key === 'enter' || key === 'cancel') ctx.go(s.next);
    },
  },
  ownPassword: {
    render: (s, { t }) => (
      <>
        <p className="screen-error">{t('terminal.mustChange')}</p>
        {prompt(
          t('terminal.signOnTitle'),
          mask(s.digits),
          t(s.step === 0 ? 'terminal.newPasswordPrompt' : 'terminal.confirmPasswordPrompt'),
        )}
      </>
    ),
    press: (s, key, ctx) => {
      if (key === 'cancel') {
        if (s.step === 1) return ctx.go({ ...s, step: 0, values: [], digits: '' });
        return void signOff(ctx, [ctx.t('terminal.signedOff')]);
      }
      if (key === 'enter' && s.digits) {
        if (s.step === 1) return void changeOwnPassword(ctx, s.current, [...s.values, s.digits]);
        return ctx.go({ ...s, step: 1, values: [s.digits], digits: '' });
      }
      ctx.go({ ...s, digits: typed(s.digits, key, 12) });
    },
  },
};
