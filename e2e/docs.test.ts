import { describe, expect, it } from 'vitest';
import { haveChromium } from './support/browser.js';
import { browserSuite } from './support/suite.js';

describe.skipIf(!haveChromium())('the API docs next to the app', () => {
  const t = browserSuite();

  it('renders Swagger UI at /docs under its own Content-Security-Policy, without a violation', async () => {
    const { page } = t.b;
    const response = await page.goto(`${t.s.base}/docs`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'RefundDesk API' }).waitFor();
    await page.locator('.opblock-summary-path').filter({ hasText: '/api/v1/public/terminals/{serial}' }).waitFor();
    const csp = (await response?.allHeaders())?.['content-security-policy'] ?? '';
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toContain("frame-ancestors 'none'");
  });
});
