import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { dateTime, money } from '../format';
import { currentLanguage } from '../i18n';
import { AttachmentList, AttachmentPicker, type Picked } from './Attachments';
import {
  type CustomerDispute,
  closeDispute,
  escalateDispute,
  getDispute,
  type NewAttachment,
  openDispute,
  rateDispute,
  type TrackedRefund,
  writeMessage,
} from './customer-api';
import { Alert, problemText, TextField } from './fields';
import { RefundProgress } from './RefundProgress';

/** A call that answers the dispute as it now stands; its problem shown in the server's words. */
function useAction(t: (k: string) => string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(
    async <T,>(call: () => Promise<T>): Promise<T | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await call();
      } catch (e) {
        setError(e instanceof ApiError ? problemText(e) : t('app.offline'));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [t],
  );
  return { busy, error, run };
}

/** The dispute part of the tracking page: open one, or follow, negotiate, escalate, accept and rate it. */
export function DisputePanel({
  refund,
  secret,
  onOpened,
}: {
  refund: TrackedRefund;
  secret: string;
  onOpened: () => void;
}) {
  if (refund.disputeId) return <DisputeView id={refund.disputeId} secret={secret} />;
  if (!refund.disputeAllowed) return null;
  return <OpenDispute refundId={refund.id} secret={secret} onOpened={onOpened} />;
}

function OpenDispute({ refundId, secret, onOpened }: { refundId: string; secret: string; onOpened: () => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const { busy, error, run } = useAction(t);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(() => openDispute(refundId, secret, text.trim(), currentLanguage()))) onOpened();
  };
  return (
    <section className="dispute" aria-labelledby="open-dispute">
      <h2 id="open-dispute">{t('dispute.openTitle')}</h2>
      <p>{t('dispute.openIntro')}</p>
      <form className="form" onSubmit={submit}>
        <TextField
          label={t('dispute.openDescription')}
          name="dispute-description"
          required
          maxLength={4000}
          value={text}
          onText={setText}
        />
        <Alert text={error} />
        <button type="submit" className="button" disabled={busy}>
          {t('dispute.open')}
        </button>
      </form>
    </section>
  );
}

/** How often the page looks again while the refund a ruling ordered is on its way. */
const FOLLOW_MS = 15_000;

/** The dispute, followed: its thread, the steps the customer may take, the ruling and its refund. */
export function DisputeView({ id, secret }: { id: string; secret: string }) {
  const { t, i18n } = useTranslation();
  const [dispute, setDispute] = useState<CustomerDispute>();
  /** The language the ordered refund is worded in (the server words it): `data-lang` on the section. */
  const [wordedIn, setWordedIn] = useState<string>();
  const { busy, error, run } = useAction(t);

  const load = useCallback(async () => {
    const lang = currentLanguage();
    const d = await run(() => getDispute(id, secret, lang));
    if (d) {
      setDispute(d);
      setWordedIn(lang);
    }
  }, [id, secret, run]);
  // Again on a language switch: the server words the ordered refund in the language asked for.
  // biome-ignore lint/correctness/useExhaustiveDependencies: i18n.language is the trigger
  useEffect(() => {
    void load();
  }, [load, i18n.language]);

  // While the ordered refund is on its way, follow it quietly until it arrives (or fails).
  const inFlight = dispute?.orderedRefund && ['pending_acquirer', 'processing'].includes(dispute.orderedRefund.status);
  useEffect(() => {
    if (!inFlight) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      getDispute(id, secret, currentLanguage()).then(setDispute, () => {});
    }, FOLLOW_MS);
    return () => clearInterval(timer);
  }, [inFlight, id, secret]);

  const act = async (call: () => Promise<CustomerDispute>) => {
    const d = await run(call);
    if (d) setDispute(d);
    return d !== undefined;
  };

  if (!dispute) {
    return (
      <section className="dispute" aria-busy={!error}>
        <h2>{t('dispute.title')}</h2>
        <Alert text={error} />
      </section>
    );
  }
  const d = dispute;
  const canWrite = d.status === 'negotiating' || d.status === 'escalated';
  return (
    <section className="dispute" aria-labelledby="dispute-title" data-lang={wordedIn}>
      <h2 id="dispute-title">{t('dispute.title')}</h2>
      <p className="status" data-dispute-status={d.status}>
        <strong>{t(`dispute.status.${d.status}`)}</strong>
        {d.outcome && ` · ${t(`dispute.outcome.${d.outcome}`)}`}
      </p>
      <p className="next">{nextStep(d, t)}</p>
      <p className="muted small">
        {t('dispute.yourRequest')} <span className="prose">{d.description}</span>
      </p>
      {d.escalation && (
        <p className="muted small">
          {t('dispute.escalatedBecause', { time: dateTime(d.escalation.at) })}{' '}
          <span className="prose">{d.escalation.reason}</span>
        </p>
      )}

      {d.ruling && (
        <section className="ruling" aria-labelledby="ruling-title">
          <h3 id="ruling-title">{t('dispute.ruling')}</h3>
          <p>
            <strong>{t(`dispute.rulingOutcome.${d.ruling.outcome}`)}</strong>
            {d.ruling.amount !== null && ` · ${money(d.ruling.amount)}`}
          </p>
          <p className="prose">{d.ruling.ruling}</p>
          <p className="muted small">
            <time dateTime={d.ruling.at}>{dateTime(d.ruling.at)}</time>
          </p>
        </section>
      )}
      {d.orderedRefund && (
        <section className="ordered-refund" aria-labelledby="ordered-refund-title">
          <h3 id="ordered-refund-title">{t('dispute.orderedRefund')}</h3>
          <RefundProgress refund={d.orderedRefund} nextTitle={<h4>{t('customer.next')}</h4>} />
        </section>
      )}

      <h3>{t('dispute.messages')}</h3>
      {d.messages.length === 0 ? (
        <p className="muted">{t('dispute.noMessages')}</p>
      ) : (
        <ol className="thread">
          {d.messages.map((m) => (
            <li key={m.id} className="message" data-party={m.party}>
              <span className="who">
                {t(`dispute.party.${m.party}`)} · <time dateTime={m.createdAt}>{dateTime(m.createdAt)}</time>
              </span>
              <span className="prose">{m.body}</span>
              <AttachmentList disputeId={id} secret={secret} attachments={m.attachments} />
            </li>
          ))}
        </ol>
      )}
      {canWrite && (
        <Compose busy={busy} onSend={(body, files) => act(() => writeMessage(id, secret, body, files.map(bare)))} />
      )}
      {d.status === 'negotiating' && (
        <Escalate
          allowedAt={d.escalationAllowedAt}
          busy={busy}
          onEscalate={(reason) => act(() => escalateDispute(id, secret, reason))}
        />
      )}
      {d.status === 'resolved_for_merchant' && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void act(() => closeDispute(id, secret, 'accepted'))}
        >
          {t('dispute.accept')}
        </button>
      )}
      {d.status === 'resolved_for_customer' && d.orderedRefund?.status === 'succeeded' && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void act(() => closeDispute(id, secret, 'settled'))}
        >
          {t('dispute.settle')}
        </button>
      )}
      {d.status === 'closed' && !d.rating && (
        <Rate busy={busy} onRate={(score, comment) => act(() => rateDispute(id, secret, score, comment))} />
      )}
      {d.rating && (
        <p className="rated" data-score={d.rating.score}>
          {t('dispute.rated', { score: d.rating.score })}{' '}
          <span aria-hidden="true">{'★'.repeat(d.rating.score) + '☆'.repeat(5 - d.rating.score)}</span>
          {d.rating.comment && <span className="prose"> {d.rating.comment}</span>}
        </p>
      )}
      <Alert text={error} />
      <button type="button" className="button button-secondary" disabled={busy} onClick={() => void load()}>
        {t('dispute.refresh')}
      </button>
    </section>
  );
}

/** What happens next in the dispute, and by when, in plain words. */
function nextStep(d: CustomerDispute, t: (k: string, o?: Record<string, string>) => string): string {
  switch (d.status) {
    case 'negotiating':
      return Date.parse(d.escalationAllowedAt) <= Date.now()
        ? t('dispute.next.negotiatingMayEscalate')
        : t('dispute.next.negotiating', { time: dateTime(d.escalationAllowedAt) });
    case 'escalated':
      return t('dispute.next.escalated', { time: d.escalation ? dateTime(d.escalation.mediationDueAt) : '' });
    case 'resolved_for_customer':
      return t('dispute.next.resolvedForCustomer');
    case 'resolved_for_merchant':
      return t('dispute.next.resolvedForMerchant');
    case 'referred':
      return t('dispute.next.referred');
    default:
      return t('dispute.next.closed');
  }
}

/** What the API takes of a picked file (its size and key were for the list). */
const bare = ({ size: _, key: __, ...a }: Picked): NewAttachment => a;

function Compose({ busy, onSend }: { busy: boolean; onSend: (body: string, files: Picked[]) => Promise<boolean> }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [files, setFiles] = useState<Picked[]>([]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await onSend(text.trim(), files)) {
      setText('');
      setFiles([]);
    }
  };
  return (
    <form className="form" onSubmit={submit}>
      <TextField label={t('dispute.write')} name="message" required maxLength={4000} value={text} onText={setText} />
      <AttachmentPicker files={files} onFiles={setFiles} disabled={busy} />
      <button type="submit" className="button" disabled={busy}>
        {t('dispute.send')}
      </button>
    </form>
  );
}

function Escalate({
  allowedAt,
  busy,
  onEscalate,
}: {
  allowedAt: string;
  busy: boolean;
  onEscalate: (reason: string) => Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const early = Date.parse(allowedAt) > Date.now();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await onEscalate(reason.trim())) setReason('');
  };
  return (
    <form className="form escalate" onSubmit={submit} aria-labelledby="escalate-title">
      <h3 id="escalate-title">{t('dispute.escalateTitle')}</h3>
      <p className="muted">
        {early ? t('dispute.escalateFrom', { time: dateTime(allowedAt) }) : t('dispute.escalateIntro')}
      </p>
      <TextField
        label={t('dispute.escalateReason')}
        name="escalate-reason"
        required
        maxLength={2000}
        rows={2}
        value={reason}
        onText={setReason}
        disabled={early}
      />
      <button type="submit" className="button button-warn" disabled={busy || early}>
        {t('dispute.escalate')}
      </button>
    </form>
  );
}

function Rate({ busy, onRate }: { busy: boolean; onRate: (score: number, comment: string) => Promise<boolean> }) {
  const { t } = useTranslation();
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (score) void onRate(score, comment.trim());
  };
  return (
    <form className="form rate" onSubmit={submit}>
      <fieldset className="stars">
        <legend>{t('dispute.rateTitle')}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={n <= score ? 'on' : ''}>
            <input type="radio" name="score" value={n} checked={score === n} onChange={() => setScore(n)} required />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">{t('dispute.stars', { n: String(n) })}</span>
          </label>
        ))}
      </fieldset>
      <TextField
        label={t('dispute.rateComment')}
        name="comment"
        maxLength={2000}
        rows={2}
        value={comment}
        onText={setComment}
      />
      <button type="submit" className="button" disabled={busy || !score}>
        {t('dispute.rate')}
      </button>
    </form>
  );
}
