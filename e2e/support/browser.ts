import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots', import.meta.url));

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a visible notice, except
 * in CI, where a skipped browser test fails the run (.ci/run installs Debian's chromium).
 */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`CI is set but ${CHROMIUM} is missing: browser tests must not be skipped in CI`);
  }
  console.warn(`[refunddesk e2e] ${CHROMIUM} not found: browser tests are SKIPPED (apt-get install chromium)`);
  return false;
}

/** Chrome's own line for an HTTP error answer: the app shows these problems, so they are expected. */
const HTTP_ERROR_LINE = /^Failed to load resource: the server responded with a status of 4\d\d/;

export interface Browser {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far: a test ends by expecting none. */
  errors: string[];
  /** Every URL the page requested (to prove no secret travels in one). */
  requests: string[];
  close(): Promise<void>;
}

/** A fresh Chromium profile (no storage carried over) with one page. */
export async function openBrowser(): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'refunddesk-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 420, height: 900 },
    locale: 'zh-CN',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const errors: string[] = [];
  const requests: string[] = [];
  // A string, as the e2e code is type-checked without the DOM library.
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
    console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))`);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' && !HTTP_ERROR_LINE.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  page.setDefaultTimeout(30_000);
  return {
    page,
    errors,
    requests,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as e2e/screenshots/<name>.<lang>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const lang = await page.evaluate<string>('document.documentElement.lang');
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.${lang}.png`), fullPage: true });
}
