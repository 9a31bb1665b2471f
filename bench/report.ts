/**
 * Plain-text table: first column left-aligned, the rest right-aligned. A one-cell row is a section
 * heading printed as is (it does not widen the columns).
 */
export function table(header: string[], rows: string[][]): string {
  const cells = rows.filter((r) => r.length > 1);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map((r) => (r.length === 1 ? r[0] : line(r)))].join('\n');
}

/** Sums a metric's samples (every label set) from the Prometheus text. */
export function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const [series, value] = line.split(' ');
    if (series.slice(name.length).startsWith('_')) continue; // another metric sharing the prefix
    if (labels && !series.includes(labels)) continue;
    sum += Number(value);
  }
  return sum;
}

export const fmt = {
  ms: (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) : '-'),
  n: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-'),
  x: (v: number) =>
    Number.isFinite(v)
      ? `${v >= 1000 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`
      : '-',
};
