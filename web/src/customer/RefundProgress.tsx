import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { dateTime, money } from '../format';
import type { TrackedRefund } from './customer-api';

/**
 * A refund as the customer follows it, in the server's plain words: status and amount, the reason
 * given, the trace number once it succeeded, every step, and what happens next by when. The
 * tracking page shows the customer's refund; a dispute shows the refund its ruling ordered.
 */
export function RefundProgress({
  refund,
  nextTitle,
  children,
}: {
  refund: TrackedRefund;
  /** The heading of "what happens next", at the level of the page it is on. */
  nextTitle: ReactNode;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
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
          {t('customer.traceNo')}: <span className="trace">{refund.processorReference}</span>
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
        {nextTitle}
        <p>
          {refund.next.text}
          {refund.next.by && ` (${t('customer.by', { time: dateTime(refund.next.by) })})`}
        </p>
        {children}
      </section>
    </>
  );
}
