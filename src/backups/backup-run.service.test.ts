import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { startSmtp } from '../../test/support/smtp.js';
import { DAY } from '../clock.js';
import type { AppContext } from '../context.js';
import { drainJobs } from '../jobs/job.service.js';
import { openContext } from '../runtime.js';
import { DEMO } from '../seed/demo.js';
import { runScheduledBackup, settleBackupRuns } from './backup-run.service.js';

describe.each(engines())('scheduled and requested backups (%s)', (engine) => {
  let h: Harness;
  let dir: string;
  const withConfig = (ctx: AppContext, over: Partial<AppContext['config']>): AppContext => ({
    ...ctx,
    config: { ...ctx.config, ...over },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'refunddesk-runs-'));
    h = await openHarness(engine, { backupDir: join(dir, 'backups'), backupIntervalMs: DAY, backupKeep: 1 });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes each scheduled backup once when two processes share the database, and keeps BACKUP_KEEP files', async () => {
    const { db: otherDb, ctx: other } = await openContext(h.ctx.config, h.clock);
    try {
      const [a, b] = await Promise.all([runScheduledBackup(h.db, h.ctx), runScheduledBackup(otherDb, other)]);
      const taken = [a, b].filter((r) => r !== undefined);
      expect(taken).toHaveLength(1);
      expect(taken[0]).toMatchObject({ status: 'succeeded', verified: true, trigger: 'schedule' });
      expect(await runScheduledBackup(otherDb, other)).toBeUndefined(); // same interval: already taken
      h.clock.advance(DAY);
      h.forgetTokens(); // sessions expire over a day
      expect(await runScheduledBackup(otherDb, other)).toMatchObject({ status: 'succeeded' });
      expect(readdirSync(join(dir, 'backups')).filter((f) => f.endsWith('.rdbackup'))).toHaveLength(1);
      const first = await h.app.inject({
        method: 'GET',
        url: `/api/v1/backups/${taken[0]?.id}/file`,
        headers: await h.login('admin'),
      });
      expect(first.statusCode).toBe(410);
      expect(first.json().code).toBe('backup_file_unavailable');
    } finally {
      await otherDb.close();
    }
  });

  it('records, audits and e-mails a failed scheduled backup to the platform admin, and keeps serving', async () => {
    const smtp = await startSmtp();
    try {
      const blocker = join(dir, 'a-file');
      writeFileSync(blocker, 'not a directory');
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url, backupDir: join(blocker, 'backups') });
      h.clock.advance(DAY);
      h.forgetTokens(); // sessions expire over a day
      const run = await runScheduledBackup(h.db, ctx, () => {});
      expect(run).toMatchObject({ status: 'failed', verified: false });
      expect(run?.error).toBeTruthy();
      await drainJobs(h.db, ctx);
      const mail = smtp.to(DEMO.admin.email);
      expect(mail).toHaveLength(1);
      expect(mail[0].subject).toBe('RefundDesk: a backup failed');
      const events = await h.app.inject({
        method: 'GET',
        url: '/api/v1/audit-events?merchantId=platform&action=backup.failed',
        headers: await h.login('admin'),
      });
      expect(events.json().data[0]).toMatchObject({ objectId: run?.id, outcome: 'failure' });
      expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await smtp.close();
    }
  });

  it('starts a backup for an admin (202), shows it to owners read-only, and lets the admin download it', async () => {
    const admin = await h.login('admin');
    const owner = await h.login('owner');
    const started = await h.app.inject({ method: 'POST', url: '/api/v1/backups', headers: admin });
    expect(started.statusCode, started.body).toBe(202);
    expect(started.json()).toMatchObject({ status: 'running', trigger: 'request' });
    const id = started.json().id as string;
    await settleBackupRuns(id);

    const run = await h.app.inject({ method: 'GET', url: `/api/v1/backups/${id}`, headers: owner });
    expect(run.json()).toMatchObject({ id, status: 'succeeded', verified: true, fileAvailable: true });
    expect(run.json()).not.toHaveProperty('error');
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/backups', headers: owner });
    expect(list.json().data[0].id).toBe(id);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/backups', headers: owner })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/backups/${id}/file`, headers: owner })).statusCode).toBe(
      403,
    );

    const file = await h.app.inject({ method: 'GET', url: `/api/v1/backups/${id}/file`, headers: admin });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/octet-stream');
    const name = readdirSync(join(dir, 'backups')).find((f) => f.endsWith('.rdbackup')) as string;
    expect(file.rawPayload.equals(readFileSync(join(dir, 'backups', name)))).toBe(true);
    const audit = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit-events?merchantId=platform&action=backup.downloaded',
      headers: admin,
    });
    expect(audit.json().data[0]).toMatchObject({ objectId: id });
  });
});
