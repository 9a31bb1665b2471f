/**
 * JSON with object keys sorted (UTF-16 code unit order) at every depth, no whitespace, strings and
 * numbers as JSON.stringify writes them, `undefined` members left out. The one serialisation
 * behind every hash RefundDesk publishes: audit `details`, dispute case files, backup tables.
 * Changing it changes those hashes: the audit chains and case files already written would no
 * longer verify.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
