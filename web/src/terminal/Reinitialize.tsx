import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { dateTime } from '../format';
import * as reinit from './reinit-api';
import { type ScreenKeys, useScreenKeys } from './screen-keys';

type Step = { kind: 'warn' } | { kind: 'form'; error?: string[] } | { kind: 'processing' };

/**
 * 管理 → 重新初始化 (supervisor): the warning, the serial typed twice and the supervisor's password,
 * then `onDone` with the one-time activation code of the new 00, which the shell shows once on a
 * screen of its own (it never times out). The server has wiped this terminal's operators and sessions.
 */
export function Reinitialize(props: {
  terminal: { id: string; serial: string };
  keys: ScreenKeys;
  onCancel: () => void;
  onDone: (done: { activationCode: string; backupId: string | null }) => void;
}) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>({ kind: 'warn' });
  const [serial, setSerial] = useState('');
  const [serialAgain, setSerialAgain] = useState('');
  const [password, setPassword] = useState('');

  const words = (e: unknown): string[] => {
    if (!(e instanceof ApiError)) return [t('app.offline')];
    const { title, unlockAt, attemptsLeft } = e.problem;
    if (unlockAt) return [title, t('terminal.lockedUntil', { time: dateTime(unlockAt) })];
    if (typeof attemptsLeft === 'number') return [title, t('terminal.attemptsLeft', { count: attemptsLeft })];
    return [title];
  };

  const submit = async () => {
    setStep({ kind: 'processing' });
    try {
      const r = await reinit.reinitialize(props.terminal.id, {
        confirmSerial: serial,
        confirmSerialAgain: serialAgain,
        password,
      });
      setPassword('');
      props.onDone({ activationCode: r.supervisor.activationCode, backupId: r.backupId });
    } catch (e) {
      setPassword('');
      setStep({ kind: 'form', error: words(e) });
    }
  };

  useScreenKeys(props.keys, (key) => {
    if (step.kind === 'warn') {
      if (key === 'enter') setStep({ kind: 'form' });
      if (key === 'cancel') props.onCancel();
    } else if (step.kind === 'form') {
      if (key === 'cancel') props.onCancel();
      if (key === 'enter') void submit();
    }
  });

  switch (step.kind) {
    case 'warn':
      return (
        <div className="screen-message tone-error">
          <p>{t('terminal.reinit.warning')}</p>
          <h1 className="screen-title">{t('terminal.reinit.title')}</h1>
          <p>{t('terminal.reinit.wipes')}</p>
          <p className="screen-hint">{t('terminal.reinit.continue')}</p>
        </div>
      );
    case 'form':
      return (
        <form
          className="bind-form reinit-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h1 className="screen-title">{t('terminal.reinit.title')}</h1>
          <p className="screen-error">{t('terminal.reinit.warning')}</p>
          <label htmlFor="reinit-serial">{t('terminal.reinit.serial')}</label>
          <input
            id="reinit-serial"
            autoComplete="off"
            // biome-ignore lint/a11y/noAutofocus: the first thing to type on this screen
            autoFocus
            value={serial}
            onChange={(e) => setSerial(e.target.value)}
          />
          <label htmlFor="reinit-serial-again">{t('terminal.reinit.serialAgain')}</label>
          <input
            id="reinit-serial-again"
            autoComplete="off"
            value={serialAgain}
            onChange={(e) => setSerialAgain(e.target.value)}
          />
          <label htmlFor="reinit-password">{t('terminal.reinit.password')}</label>
          <input
            id="reinit-password"
            type="password"
            inputMode="numeric"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {step.error?.map((line) => (
            <p key={line} className="screen-error">
              {line}
            </p>
          ))}
          <button type="submit">{t('terminal.reinit.submit')}</button>
        </form>
      );
    case 'processing':
      return (
        <>
          <h1 className="screen-title">{t('terminal.processing')}</h1>
          <p className="screen-hint">{t('terminal.reinit.backingUp')}</p>
        </>
      );
  }
}
