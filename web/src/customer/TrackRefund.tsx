import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { dateTime, money } from '../format';
import { currentLanguage } from '../i18n';
import { type TrackedRefund, trackRefund } from './customer-api';
import { DisputePanel } from './Dispute';
import { Alert } from './fields';
import { problemText } from './RequestRefund';

/** Kept for this tab only (a reload keeps working), never in localStorage or a URL. */
const storageKey = (id: string) => `refunddesk.track.${id}`;

/**
 * The tracking link carries the secret in its fragment (#…), which browsers never send to a server.
 * Once read it leaves the address bar (and the history): the tab keeps it in sessionStorage.
 */
function initialSecret(id: string): string {
  let fromLink = '';
  try {
    fromLink = decodeURIComponent(window.location.hash.slice(1));
  } catch {
    fromLink = '';
  }
  if (fromLink) {
    sessionStorage.setItem(storageKey(id), fromLink);
    window.history.replaceState(null, '', window.location.pathname);
    return fromLink;
  }
  return sessionStorage.getItem(storageKey(id)) ?? '';
}

export function TrackRefund({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const [secret, setSecret] = useState(() => initialSecret(id));
  const [typed, setTyped] = useState('');
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

  const submit = (e: FormEvent) => {
    e.preventDefault();
    sessionStorage.setItem(storageKey(id), typed.trim());
    setSecret(typed.trim());
    setTyped('');
  };

  return (
    <main className="card" data-lang={refund ? wordedIn : undefined}>
      <h1>{t('customer.trackTitle')}</h1>
      <p className="muted">
        {t('customer.requestId')} {id}
      </p>
      {!secret && (
        <form onSubmit={submit} className="form">
          <label>
            {t('customer.secretPrompt')}
            <input
              type="password"
              autoComplete="off"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              required
            />
          </label>
          <button type="submit" className="button">
            {t('customer.track')}
          </button>
        </form>
      )}
      <Alert text={error} />
      {refund && (
        <>
          <p className="status" data-status={refund.status}>
            <strong>{refund.statusText}</strong> · {money(refund.amount, refund.currency)}
          </p>
          {refund.decisionReason && (
            <p>
              {t('customer.decisionReason')}: {refund.decisionReason}
            </p>
          )}
          {refund.processorReference && (
            <p>
              {t('customer.traceNo')}: {refund.processorReference}
            </p>
          )}
          <ol className="timeline">
            {refund.timeline.map((e) => (
              <li key={`${e.at}-${e.status}`}>
                <time dateTime={e.at}>{dateTime(e.at)}</time>
                <span>{e.text}</span>
              </li>
            ))}
          </ol>
          <section className="next">
            <h2>{t('customer.next')}</h2>
            <p>
              {refund.next.text}
              {refund.next.by && ` (${t('customer.by', { time: dateTime(refund.next.by) })})`}
            </p>
            {refund.disputeId && <p>{t('customer.nextInDispute')}</p>}
          </section>
          <button type="button" className="button button-secondary" onClick={() => void load()}>
            {t('customer.refresh')}
          </button>
          <DisputePanel refund={refund} secret={secret} onOpened={() => void load()} />
        </>
      )}
    </main>
  );
}
