import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquirerRules, jobHandlers } from './wiring.js';

/** Every .ts file under src/ but tests. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the start-up wiring', () => {
  const files = sources(join(import.meta.dirname)).map((f) => ({ f, text: readFileSync(f, 'utf8') }));

  it('has a handler for every job kind the code queues', () => {
    const constants = new Map<string, string>();
    for (const { text } of files) {
      for (const m of text.matchAll(/export const (JOB_[A-Z_]+) = '([a-z_.]+)'/g)) constants.set(m[1], m[2]);
    }
    const kinds = new Set<string>();
    for (const { f, text } of files) {
      for (const m of text.matchAll(/enqueueJob\(\s*\w+,\s*\w+,\s*(?:'([a-z_.]+)'|(?:\w+\.)?(JOB_[A-Z_]+))/g)) {
        const kind = m[1] ?? constants.get(m[2]);
        if (!kind) throw new Error(`${f}: job kind ${m[2]} is not a known constant`);
        kinds.add(kind);
      }
    }
    expect(kinds.size).toBeGreaterThanOrEqual(6); // a ruling no longer queues dispute.force_refund (its handler stays for old jobs)
    const missing = [...kinds].filter((k) => !Object.hasOwn(jobHandlers, k));
    expect(missing).toEqual([]);
  });

  it('has no domain registering itself on import, and every acquirer rule assembled once', () => {
    for (const { f, text } of files) {
      expect(`${f}: ${/\bregister(JobHandler|AcquirerRule)\(/.test(text)}`).toBe(`${f}: false`);
    }
    expect(Object.keys(acquirerRules).sort()).toEqual([
      'amount_within_threshold',
      'no_open_dispute',
      'payment_captured',
      'payment_failure_is_real',
      'payment_settled',
      'within_window',
    ]);
  });
});
