import { useTranslation } from 'react-i18next';

export interface SlipData {
  /** The lines as the server built them (payment / refund receipt), or the settlement's totals. */
  lines: string[];
  copy: 'merchant' | 'cardholder' | 'settlement';
  reprint?: boolean;
}

/** A thermal-paper slip in the printer slot; `@media print` prints it alone, 58 mm wide. */
export function Slip({ slip }: { slip: SlipData }) {
  const { t } = useTranslation();
  return (
    <article className="slip" aria-label={t(`slip.${slip.copy === 'settlement' ? 'settlement' : 'title'}`)}>
      {/* A receipt's lines carry their own heading; the settlement's totals get one here. */}
      {slip.copy === 'settlement' && <h2>{t('slip.settlement')}</h2>}
      {slip.reprint && <p className="slip-stamp">{t('terminal.reprint')}</p>}
      {slip.lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a slip's lines are fixed once printed
        <p key={i}>{line}</p>
      ))}
    </article>
  );
}
