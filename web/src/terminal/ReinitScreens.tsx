import { session } from '../api/client';
import { Activate } from './Activate';
import { Reinitialize } from './Reinitialize';
import { signOff } from './SignOnScreens';
import type { Screens } from './screen';
import type { ScreenKeys } from './screen-keys';

/**
 * 管理 → 重新初始化, and the first sign-on of 00 afterwards (activation): screens with state of their
 * own (a form, a walk of several steps), so each is a component; the keypad reaches it through
 * `keys`, which the shown component fills.
 */
const keys: ScreenKeys = { current: undefined };

export const reinitScreens: Screens<'reinit' | 'reinitDone' | 'activate'> = {
  reinit: {
    render: (_s, ctx) =>
      ctx.terminal && (
        <Reinitialize
          terminal={ctx.terminal}
          keys={keys}
          onCancel={() => ctx.go({ kind: 'manage' })}
          onDone={(done) => {
            session.end(); // the server wiped this terminal's sessions
            ctx.setOperator(undefined);
            ctx.go({ kind: 'reinitDone', ...done });
          }}
        />
      ),
    press: (_s, key) => keys.current?.(key),
  },
  // The new 00's activation code, shown once: it stays until 确认, whatever the idle timer says.
  reinitDone: {
    render: (s, { t }) => (
      <div className="screen-message tone-ok">
        <p>{t('terminal.reinit.done')}</p>
        <p>{t('terminal.reinit.activationCode')}</p>
        <output className="screen-value activation-code">{s.activationCode}</output>
        <p className="screen-error">{t('terminal.reinit.showOnce')}</p>
        {s.backupId && <p className="screen-hint">{t('terminal.reinit.backup', { id: s.backupId })}</p>}
        <p className="screen-hint">{t('terminal.reinit.next')}</p>
      </div>
    ),
    press: (_s, key, ctx) => {
      if (key === 'enter') ctx.go({ kind: 'welcome' });
    },
  },
  activate: {
    render: (s, ctx) =>
      ctx.terminal && (
        <Activate
          terminalId={ctx.terminal.id}
          merchantId={ctx.operator?.merchantId ?? ''}
          current={s.current}
          keys={keys}
          onCancel={() => void signOff(ctx, [ctx.t('terminal.signedOff')])}
          onDone={(lines) => {
            ctx.setOperator(undefined);
            ctx.go({ kind: 'message', tone: 'ok', lines, next: { kind: 'operator', digits: '' } });
          }}
        />
      ),
    press: (_s, key) => keys.current?.(key),
  },
};
