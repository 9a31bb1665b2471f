import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface SlipData {
  /** The lines as the server built them: a payment's, refund's or settlement's slip. */
  lines: string[];
  copy: 'merchant' | 'cardholder' | 'settlement';
  reprint?: boolean;
}

/**
 * A line's `label: value` pairs (two spaces apart), each value kept whole: a narrow slip wraps
 * between a label and its value, never inside a number.
 */
function fields(line: string): ReactNode {
  return line.split('  ').map((pair, i) => {
    const at = pair.indexOf(': ');
    if (at < 0 && i === 0) return pair;
    if (at < 0) {
      // A value after its labelled pair (a settlement row's amount): kept whole too.
      return (
        // biome-ignore lint/suspicious/noArrayIndexKey: fixed once printed
        <span key={i} className="slip-pair slip-value">
          {` ${pair}`}
        </span>
      );
    }
    return (
      // biome-ignore lint/suspicious/noArrayIndexKey: fixed once printed
      <span key={i} className="slip-pair">
        {i === 0 ? '' : ' '}
        {pair.slice(0, at + 1)} <span className="slip-value">{pair.slice(at + 2)}</span>
      </span>
    );
  });
}

/** A thermal-paper slip in the printer slot; `@media print` prints it alone, 58 mm wide. */
export function Slip({ slip }: { slip: SlipData }) {
  const { t } = useTranslation();
  return (
    <article className="slip" aria-label={t(`slip.${slip.copy === 'settlement' ? 'settlement' : 'title'}`)}>
      {slip.reprint && <p className="slip-stamp">{t('terminal.reprint')}</p>}
      {slip.lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a slip's lines are fixed once printed
        <p key={i}>{fields(line)}</p>
      ))}
    </article>
  );
}
