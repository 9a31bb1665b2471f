import { describe, expect, it } from 'vitest';
import { TERMINAL_BUDGET_BYTES, terminalBundle } from '../../scripts/bundle-size.js';

describe('the /terminal bundle', () => {
  it('stays within 200 KB of gzipped JavaScript (npm run size prints it)', () => {
    const { files, gzipped } = terminalBundle();
    expect(files.some((f) => f.includes('Terminal'))).toBe(true);
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(TERMINAL_BUDGET_BYTES);
  });
});
