import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's critical and serious violations on the page as it is now (evaluated through DevTools, so the page's CSP allows it). */
export async function criticalViolations(page: Page): Promise<string[]> {
  await page.evaluate(`${AXE};void 0`);
  return page.evaluate<string[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`);
}
