import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { currentLanguage } from '../i18n';
import { type TrackedRefund, trackRefund } from './customer-api';
import { DisputePanel } from './Dispute';
import { Alert, problemText, SecretPrompt } from './fields';
import { RefundProgress } from './RefundProgress';
import { initialSecret, keepSecret } from './secret';

export function TrackRefund({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const [secret, setSecret] = useState(() => initialSecret(id));
  const [refund, setRefund] = useState<TrackedRefund>();
  /** The language the shown timeline is worded in (the server words it): `data-lang` on the page. */
  const [wordedIn, setWordedIn] = useState<string>();
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    if (!secret) return;
    try {
      const lang = currentLanguage();
      setRefund(await trackRefund(id, secret, lang));
      setWordedIn(lang);
      setError(undefined);
    } catch (e) {
      setRefund(undefined);
      setError(e instanceof ApiError ? problemText(e) : t('app.offline'));
    }
  }, [id, secret, t]);

  // Again on a language switch: the server words the timeline in the language asked for.
  // biome-ignore lint/correctness/useExhaustiveDependencies: i18n.language is the trigger
  useEffect(() => {
    void load();
  }, [load, i18n.language]);

  const typed = (value: string) => {
    keepSecret(id, value);
    setSecret(value);
  };

  return (
    <main className="card" data-lang={refund ? wordedIn : undefined}>
      <h1>{t('customer.trackTitle')}</h1>
      <p className="muted">
        {t('customer.requestId')} {id}
      </p>
      {!secret && <SecretPrompt label={t('customer.secretPrompt')} onSecret={typed} />}
      <Alert text={error} />
      {refund && (
        <>
          <RefundProgress refund={refund} nextTitle={<h2>{t('customer.next')}</h2>}>
            {refund.disputeId && <p>{t('customer.nextInDispute')}</p>}
          </RefundProgress>
          <button type="button" className="button button-secondary" onClick={() => void load()}>
            {t('customer.refresh')}
          </button>
          <DisputePanel refund={refund} secret={secret} onOpened={() => void load()} />
        </>
      )}
    </main>
  );
}
