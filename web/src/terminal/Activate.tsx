import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, session } from '../api/client';
import { dateTime } from '../format';
import { isDigit } from './keys';
import * as reinit from './reinit-api';
import { type ScreenKeys, useScreenKeys } from './screen-keys';
import * as pos from './terminal-api';

/** 0–1: the new operator password and its confirmation; 2–3: the new refund password and its. */
type Step = 0 | 1 | 2 | 3;

const PROMPTS = [
  'terminal.activate.operatorPassword',
  'terminal.activate.confirm',
  'terminal.activate.refundPassword',
  'terminal.activate.refundConfirm',
] as const;

/**
 * The supervisor's first sign-on after a re-initialisation (or a reset): signed on with the
 * one-time activation code, 00 sets a new operator password, is signed on again with it, and —
 * while the merchant has no refund password — sets a new refund password. `current` is the code
 * just typed; null starts at the refund password (00 signed on with its own password).
 */
export function Activate(props: {
  terminalId: string;
  merchantId: string;
  current: string | null;
  keys: ScreenKeys;
  onDone: (lines: string[]) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>(props.current === null ? 2 : 0);
  const [values, setValues] = useState<string[]>([]);
  const [digits, setDigits] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string[]>();

  const words = (e: unknown): string[] => {
    if (!(e instanceof ApiError)) return [t('app.offline')];
    const { title, unlockAt } = e.problem;
    return unlockAt ? [title, t('terminal.lockedUntil', { time: dateTime(unlockAt) })] : [title];
  };

  const operatorPassword = async (newPassword: string, confirmPassword: string) => {
    await pos.changeOwnPassword({ currentPassword: props.current ?? '', newPassword, confirmPassword });
    // Changing it ended the session: sign on again with the new password, as the supervisor would.
    const again = await pos.signOn(props.terminalId, '00', newPassword);
    session.start(again.token);
    if (await reinit.refundPasswordIsSet(props.merchantId)) {
      session.end();
      return props.onDone([t('terminal.activate.done')]);
    }
    setStep(2);
  };

  const refundPassword = async (newPassword: string, confirmPassword: string) => {
    await reinit.setRefundPassword(props.merchantId, { newPassword, confirmPassword });
    session.end(); // every session of the merchant ended with the change
    props.onDone([t('terminal.activate.refundSet'), t('terminal.activate.done')]);
  };

  const enter = async () => {
    if (!digits) return;
    if (step === 0 || step === 2) {
      setValues([digits]);
      setDigits('');
      setError(undefined);
      return setStep((step + 1) as Step);
    }
    const [first] = values;
    setBusy(true);
    try {
      if (step === 1) await operatorPassword(first, digits);
      else await refundPassword(first, digits);
    } catch (e) {
      setError(words(e));
      setStep((step - 1) as Step);
    } finally {
      setBusy(false);
      setValues([]);
      setDigits('');
    }
  };

  useScreenKeys(props.keys, (key) => {
    if (busy) return;
    if (key === 'enter') return void enter();
    if (key === 'cancel') {
      if (step === 1 || step === 3) {
        setDigits('');
        return setStep((step - 1) as Step);
      }
      return props.onCancel();
    }
    if (key === 'clear') return setDigits((d) => d.slice(0, -1));
    if (isDigit(key)) setDigits((d) => (d + key).slice(0, 12));
  });

  return (
    <>
      <p className={step < 2 ? 'screen-hint' : 'screen-error'}>
        {step < 2 ? t('terminal.activate.intro') : t('terminal.activate.refundUnset')}
      </p>
      <h1 className="screen-title">{t('terminal.activate.title')}</h1>
      <output className="screen-value">
        {busy ? t('terminal.processing') : '*'.repeat(digits.length) || '\u00a0'}
      </output>
      <p className="screen-hint">{t(PROMPTS[step])}</p>
      {error?.map((line) => (
        <p key={line} className="screen-error">
          {line}
        </p>
      ))}
    </>
  );
}
