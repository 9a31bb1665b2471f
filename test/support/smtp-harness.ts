import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { EngineName } from './engines.js';
import { type Harness, openHarness } from './harness.js';
import { startSmtp, type TestSmtp } from './smtp.js';

export type { TestSmtp };

export interface SmtpHarness {
  h: Harness;
  smtp: TestSmtp;
}

/**
 * For a describe block whose tests read the e-mail they cause: one loopback SMTP server for the
 * block, and before each test a fresh harness on `engine` that sends to it and an empty mailbox.
 * `use` receives both before each test, so the block keeps its own `h` and `smtp`:
 *
 *     let h: Harness;
 *     let smtp: TestSmtp;
 *     useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));
 */
export function useSmtpHarness(engine: EngineName, use: (opened: SmtpHarness) => void): void {
  let smtp: TestSmtp | undefined;
  let h: Harness | undefined;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(() => smtp?.close());
  beforeEach(async () => {
    const mail = smtp as TestSmtp;
    h = await openHarness(engine, { smtpUrl: mail.url });
    mail.messages.length = 0;
    use({ h, smtp: mail });
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
}
