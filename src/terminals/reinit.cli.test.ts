import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli-process.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { systemActor } from '../auth/actor.js';
import { loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import * as settlement from '../payments/settlement.service.js';
import { openContext } from '../runtime.js';
import { DEMO, seedDemo } from '../seed/demo.js';

/** The real `refunddesk terminal reinit` as a child process, on each engine. */
describe.each(engines())('refunddesk terminal reinit (%s)', (engine) => {
  const secretKey = randomBytes(32).toString('hex');
  let db: ThrowawayDatabase;
  let backupDir: string;
  const settings = () => ({ SECRET_KEY: secretKey, BACKUP_DIR: backupDir });

  beforeAll(async () => {
    backupDir = mkdtempSync(join(tmpdir(), 'refunddesk-reinit-cli-'));
    db = await throwawayDatabase(engine);
    const { db: conn, ctx } = await openContext({ ...loadConfig({}), databaseUrl: db.url, secretKey });
    const ids = await seedDemo(conn, ctx);
    try {
      await settlement.settleTerminal(conn, ctx, systemActor, ids?.terminalId as string);
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'batch_empty')) throw e;
    }
    await conn.close();
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(backupDir, { recursive: true, force: true });
  });

  const args = (again: string, ...more: string[]) => [
    'terminal',
    'reinit',
    '--terminal',
    'T-0001',
    '--confirm-serial',
    'T-0001',
    '--confirm-serial-again',
    again,
    '--as-user',
    DEMO.owner.email,
    ...more,
  ];

  it('refuses a serial that differs and a wrong password, and wipes nothing', async () => {
    const differ = await runCli(db.url, args('T-0002'), { stdin: [DEMO.owner.password], settings: settings() });
    expect(differ.code).toBe(1);
    expect(differ.stderr).toContain('serial_confirmation_mismatch');
    const wrong = await runCli(db.url, args('T-0001'), {
      env: { REINIT_PASSWORD: 'Wrong-2026!' },
      settings: settings(),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('step_up_password_invalid');
    expect(wrong.stderr).not.toContain('Wrong-2026!');
  });

  it('re-initialises after a backup and prints the activation code once', async () => {
    const r = await runCli(db.url, args('T-0001'), { stdin: [DEMO.owner.password], settings: settings() });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({
      reinitialized: true,
      serial: 'T-0001',
      backupSkipped: false,
      actedAs: { role: 'merchant_owner' },
      supervisor: { code: '00' },
    });
    expect(out.backupId).toMatch(/^bkp_/);
    expect(out.supervisor.activationCode).toMatch(/^\d{10}$/);
    expect(r.stdout).not.toContain(DEMO.owner.password);
  });
});
