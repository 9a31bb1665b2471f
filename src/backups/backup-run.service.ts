import { readdir, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { recordAuditNow } from '../audit/audit.service.js';
import { type Actor, auditActorOf } from '../auth/actor.js';
import type { BackupRunTable } from '../backups/backup.tables.js';
import { HOUR } from '../clock.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import { type Conn, isUniqueViolation, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import { registerTemplate, text } from '../notifications/notification.js';
import { queueNotification } from '../notifications/notification.service.js';
import { backupFileGone } from './backup.errors.js';
import * as repo from './backup.repository.js';
import { createBackup, verifyBackup } from './backup.service.js';
import { BACKUP_FILE_PATTERN, backupFileName } from './backup-schedule.js';

export const BACKUP_READ_ROLES = ['platform_admin', 'merchant_owner'] as const;
export const BACKUP_ADMIN_ROLES = ['platform_admin'] as const;

export interface BackupRun {
  id: string;
  trigger: 'schedule' | 'request';
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  bytes: number | null;
  encrypted: boolean;
  verified: boolean;
  /** Whether the file can still be downloaded (not rotated away). */
  fileAvailable: boolean;
  /** Why it failed: platform admins only. */
  error?: string | null;
}

function runRowToRun(row: BackupRunTable, actor?: Actor): BackupRun {
  return {
    id: row.id,
    trigger: row.trigger as BackupRun['trigger'],
    status: row.status as BackupRun['status'],
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    bytes: row.bytes === null ? null : Number(row.bytes),
    encrypted: !!Number(row.encrypted),
    verified: !!Number(row.verified),
    fileAvailable: row.file !== null,
    ...(actor?.role === 'platform_admin' || !actor ? { error: row.error } : {}),
  };
}

registerTemplate('backup_failed', {
  subject: { 'zh-CN': () => 'RefundDesk：数据备份失败', en: () => 'RefundDesk: a backup failed' },
  body: {
    'zh-CN': (d) => `${text(d.at)} 的数据备份失败：${text(d.error)}。服务仍在运行，请检查备份目录和磁盘空间。`,
    en: (d) =>
      `The backup started at ${text(d.at)} failed: ${text(d.error)}. The server keeps running; check the backup directory and disk space.`,
  },
});

/** Keeps the newest `keep` backup files in `dir` (those named by `backupFileName`), deletes the rest. */
async function rotate(db: Db, ctx: AppContext): Promise<void> {
  const dir = ctx.config.backupDir;
  const names = (await readdir(dir)).filter((n) => BACKUP_FILE_PATTERN.test(n)).sort();
  const old = names.slice(0, Math.max(0, names.length - ctx.config.backupKeep)).map((n) => resolve(dir, n));
  for (const f of old) await rm(f, { force: true });
  await repo.clearFiles(db.kysely, old);
}

/**
 * Takes one backup into BACKUP_DIR (encrypted under BACKUP_KEY when set), verifies it, rotates
 * (BACKUP_KEEP), and records the run. A failure is recorded, audited and e-mailed to the platform
 * admins, never thrown: a backup must not take the server down. Returns undefined when `slot` was
 * already claimed by another process (several `serve` on one database take each slot once).
 */
export async function runBackup(
  db: Db,
  ctx: AppContext,
  opts: { trigger: BackupRun['trigger']; slot?: string; actor?: Actor; onError?: (e: unknown) => void },
): Promise<BackupRun | undefined> {
  const startedAt = new Date();
  const run: BackupRunTable = {
    id: newId('bkp'),
    trigger: opts.trigger,
    slot: opts.slot ?? null,
    status: 'running',
    file: null,
    bytes: null,
    encrypted: ctx.config.backupKey ? 1 : 0,
    verified: 0,
    error: null,
    requested_by: opts.actor?.id ?? null,
    started_at: nowIso(ctx),
    finished_at: null,
  };
  try {
    await repo.insertRun(db.kysely, run);
  } catch (e) {
    if (opts.slot && isUniqueViolation(e)) return undefined;
    throw e;
  }
  const done = runDone(db, ctx, run, startedAt, opts);
  inFlight.set(run.id, done);
  void done.finally(() => inFlight.delete(run.id));
  return opts.trigger === 'request' ? runRowToRun(run) : await done;
}

const inFlight = new Map<string, Promise<BackupRun>>();

/** Waits for this process's runs still going (all, or one): for shutdown and tests. */
export async function settleBackupRuns(id?: string): Promise<void> {
  await Promise.all(id ? [inFlight.get(id)] : [...inFlight.values()]);
}

async function runDone(
  db: Db,
  ctx: AppContext,
  run: BackupRunTable,
  startedAt: Date,
  opts: { actor?: Actor; onError?: (e: unknown) => void },
): Promise<BackupRun> {
  const out = resolve(ctx.config.backupDir, backupFileName(startedAt));
  const actor = { kind: opts.actor?.kind ?? 'system', id: opts.actor?.id ?? null };
  try {
    const written = await createBackup(ctx.config, out, { passphrase: ctx.config.backupKey });
    await verifyBackup(out, { passphrase: ctx.config.backupKey });
    Object.assign(run, { status: 'succeeded', file: out, bytes: written.bytes, verified: 1, finished_at: nowIso(ctx) });
    await repo.finishRun(db.kysely, run.id, run);
    await rotate(db, ctx);
    await recordAuditNow(db, ctx, {
      merchantId: null,
      actor,
      action: 'backup.succeeded',
      outcome: 'success',
      objectType: 'backup',
      objectId: run.id,
      details: { trigger: run.trigger, bytes: written.bytes, encrypted: !!run.encrypted },
    });
  } catch (e) {
    opts.onError?.(e);
    const error = (e instanceof Error ? e.message : String(e)).slice(0, 500);
    Object.assign(run, { status: 'failed', error, finished_at: nowIso(ctx) });
    try {
      await repo.finishRun(db.kysely, run.id, run);
      await reportFailure(db, ctx, run, actor);
    } catch (again) {
      opts.onError?.(again);
    }
  }
  return runRowToRun(run);
}

async function reportFailure(db: Db, ctx: AppContext, run: BackupRunTable, actor: { kind: string; id: string | null }) {
  await recordAuditNow(db, ctx, {
    merchantId: null,
    actor,
    action: 'backup.failed',
    outcome: 'failure',
    objectType: 'backup',
    objectId: run.id,
    details: { trigger: run.trigger, error: run.error },
  });
  const admins = await repo.platformAdminEmails(db.kysely);
  await transaction(db, async (trx) => {
    for (const to of admins) {
      await queueNotification(trx, ctx, {
        merchantId: null,
        channel: 'email',
        to,
        template: 'backup_failed',
        language: 'en',
        data: { at: run.started_at, error: run.error },
        dedupeKey: `backup_failed:${run.id}:${to}`,
      });
    }
  });
}

/** The start of the interval `at` falls in: the key by which one process claims a scheduled backup. */
export function scheduleSlot(at: Date, intervalMs: number): string {
  return new Date(Math.floor(at.getTime() / intervalMs) * intervalMs).toISOString();
}

/** One tick of the schedule: takes this interval's backup unless another process already has. */
export function runScheduledBackup(
  db: Db,
  ctx: AppContext,
  onError?: (e: unknown) => void,
): Promise<BackupRun | undefined> {
  const interval = ctx.config.backupIntervalMs;
  if (!interval) return Promise.resolve(undefined);
  return runBackup(db, ctx, { trigger: 'schedule', slot: scheduleSlot(ctx.clock.now(), interval), onError });
}

/**
 * Starts the schedule in `serve` when BACKUP_INTERVAL is set: checks every minute (or interval,
 * if shorter) whether this interval's backup is taken. Returns the stop function.
 */
export function startBackupSchedule(db: Db, ctx: AppContext, onError: (e: unknown) => void): () => void {
  const interval = ctx.config.backupIntervalMs;
  if (!interval) return () => {};
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = runScheduledBackup(db, ctx, onError)
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, Math.min(interval, 60_000));
  timer.unref();
  tick();
  return () => clearInterval(timer);
}

function auditByPerson(db: Db, ctx: AppContext, actor: Actor, action: string, objectId?: string): Promise<void> {
  return recordAuditNow(db, ctx, {
    merchantId: null,
    actor: auditActorOf(actor),
    action,
    outcome: 'success',
    objectType: 'backup',
    objectId,
  });
}

/**
 * Starts a backup now for a platform admin; answers at once with the running run. While one
 * (started in the last six hours) is still running, answers with that one instead of starting a
 * second: two copies of the same moment are no use, and a double click is not an error.
 */
export async function requestBackup(db: Db, ctx: AppContext, actor: Actor): Promise<BackupRun> {
  const since = new Date(ctx.clock.now().getTime() - 6 * HOUR).toISOString();
  const running = await repo.findRunningSince(db.kysely, since);
  if (running) return runRowToRun(running, actor);
  await auditByPerson(db, ctx, actor, 'backup.requested');
  return (await runBackup(db, ctx, { trigger: 'request', actor })) as BackupRun;
}

/**
 * Takes a backup now and waits for it to finish (written and verified): for a use case that must
 * not go on without one, such as a terminal re-initialisation. Never throws for a failed backup:
 * the run comes back `failed`, with its error, and is audited and e-mailed as any failure is.
 */
export async function takeBackupNow(db: Db, ctx: AppContext, actor: Actor): Promise<BackupRun> {
  const run = (await runBackup(db, ctx, { trigger: 'request', actor })) as BackupRun;
  await settleBackupRuns(run.id);
  const row = await repo.findRun(db.kysely, run.id);
  if (!row) throw new Error(`backup run ${run.id} vanished`);
  return runRowToRun(row);
}

export async function listBackupRuns(
  conn: Conn,
  actor: Actor,
  q: { limit: number; cursor?: string },
): Promise<Page<BackupRun>> {
  const rows = await repo.listRuns(conn, q.limit + 1, q.cursor);
  return pageOf(rows, q.limit, (r) => runRowToRun(r, actor));
}

/** @throws not_found */
export async function getBackupRun(conn: Conn, actor: Actor, id: string): Promise<BackupRun> {
  const row = await repo.findRun(conn, id);
  if (!row) throw notFound('backup');
  return runRowToRun(row, actor);
}

/**
 * The file of a finished run, for download; the download is audited.
 * @throws not_found, backup_file_unavailable (failed, running, or rotated away)
 */
export async function backupFileFor(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
): Promise<{ path: string; name: string }> {
  const row = await repo.findRun(db.kysely, id);
  if (!row) throw notFound('backup');
  if (!row.file) throw backupFileGone();
  await auditByPerson(db, ctx, actor, 'backup.downloaded', id);
  return { path: row.file, name: basename(row.file) };
}

/** When the last backup that succeeded finished (scheduled or asked for), or undefined if none has. */
export function lastSuccessfulBackupAt(conn: Conn): Promise<string | undefined> {
  return repo.lastSucceededAt(conn);
}
