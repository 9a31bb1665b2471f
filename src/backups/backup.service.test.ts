import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeBackup } from '../../test/support/backup-forge.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { codeOf, errorOf } from '../../test/support/use-cases.js';
import { openSecret } from '../crypto/seal.js';
import { connect } from '../db/connect.js';
import { migrateTo, migrationNames, pendingMigrations } from '../db/migrate.js';
import { buildApp } from '../http/app.js';
import { REFUNDDESK_VERSION } from '../paths.js';
import { openContext } from '../runtime.js';
import { purposeKey } from '../secret-key.js';
import { DEMO } from '../seed/demo.js';
import { signatureHeader, verifyWebhookSignature } from '../webhooks/signature.js';
import { addAttachment, copyRowsInto, PASSPHRASE } from './backup.fixtures.js';
import { existingTables } from './backup.repository.js';
import { type BackupResult, createBackup, verifyBackup } from './backup.service.js';
import { assertRestorable, type BackupManifest } from './backup-manifest.js';
import { restoreBackup } from './restore.service.js';

describe.each(engines())('backups of a %s database', (engine) => {
  let h: Harness;
  let dir: string;
  let plain: BackupResult;
  let encrypted: BackupResult;
  let attachment: Buffer;
  const targets: ThrowawayDatabase[] = [];

  beforeAll(async () => {
    h = await openHarness(engine);
    dir = mkdtempSync(join(tmpdir(), 'refunddesk-backup-'));
    const sale = await h.sale(12_345, { settled: true });
    await h.sale(700);
    attachment = await addAttachment(h, sale.id);
    await h.login('admin');
    plain = await createBackup(h.ctx.config, join(dir, 'plain.rdbackup'));
    encrypted = await createBackup(h.ctx.config, join(dir, 'enc.rdbackup'), { passphrase: PASSPHRASE });
  });
  afterAll(async () => {
    await h?.close();
    for (const t of targets) await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a manifest: versions, engine, per-table counts, hashes and amounts, audit heads, key fingerprint', async () => {
    const m = plain.manifest;
    const totals = await h.db.kysely
      .selectFrom('payments')
      .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.sum<number>('amount').as('amount')])
      .executeTakeFirstOrThrow();
    expect(m).toMatchObject({ refunddeskVersion: REFUNDDESK_VERSION, engine, format: 'refunddesk.backup/1' });
    expect(m.schemaVersion).toMatch(/^\d{3}_/);
    const payments = m.tables.find((t) => t.name === 'payments');
    expect(payments).toMatchObject({ rows: Number(totals.rows), amount: Number(totals.amount) });
    expect(m.tables.map((t) => t.name)).not.toContain('kysely_migration');
    expect(m.auditChains.length).toBeGreaterThan(0);
    expect(m.secretKeyFingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(m)).not.toContain(h.ctx.config.secretKey);
    // Parents before children.
    const order = m.tables.map((t) => t.name);
    expect(order.indexOf('merchants')).toBeLessThan(order.indexOf('payments'));
    expect(order.indexOf('dispute_messages')).toBeLessThan(order.indexOf('dispute_attachments'));
    expect(encrypted.encrypted).toBe(true);
    expect(readFileSync(encrypted.file).includes(Buffer.from('payments'))).toBe(false);
  });

  it('verifies a whole file, plain or encrypted', async () => {
    expect((await verifyBackup(plain.file)).manifest.tables).toEqual(plain.manifest.tables);
    const v = await verifyBackup(encrypted.file, { passphrase: PASSPHRASE });
    expect(v).toMatchObject({ ok: true, encrypted: true });
  });

  it.each(engines())(
    'restores into %s with equal rows, amounts and audit chains; a backup of the copy has the same table hashes',
    async (targetEngine) => {
      const target = await throwawayDatabase(targetEngine);
      targets.push(target);
      const r = await restoreBackup(plain.file, target.url, { secretKey: h.ctx.config.secretKey });
      expect(r).toMatchObject({ engine: targetEngine, rows: plain.manifest.tables.reduce((n, t) => n + t.rows, 0) });
      expect(r.auditEvents).toBeGreaterThan(0);
      const again = await createBackup(
        { databaseUrl: target.url, secretKey: h.ctx.config.secretKey },
        join(dir, `copy-${targetEngine}.rdbackup`),
      );
      expect(again.manifest.tables).toEqual(plain.manifest.tables);
      expect(again.manifest.auditChains).toEqual(plain.manifest.auditChains);
      const db = connect(target.url);
      try {
        const row = await db.kysely.selectFrom('dispute_attachments').select('data').executeTakeFirstOrThrow();
        expect(Buffer.from(row.data).equals(attachment)).toBe(true);
      } finally {
        await db.close();
      }
    },
  );

  it('refuses corrupted, truncated and wrong-key files, and a restore of one leaves the target untouched', async () => {
    const bytes = readFileSync(encrypted.file);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)] ^= 1;
    writeFileSync(join(dir, 'flipped.rdbackup'), flipped);
    expect(await codeOf(verifyBackup(join(dir, 'flipped.rdbackup'), { passphrase: PASSPHRASE }))).toBe(
      'backup_corrupt',
    );

    for (const cut of [bytes.length - 1, bytes.length - 20, Math.floor(bytes.length / 2)]) {
      writeFileSync(join(dir, 'cut.rdbackup'), bytes);
      truncateSync(join(dir, 'cut.rdbackup'), cut);
      expect(await codeOf(verifyBackup(join(dir, 'cut.rdbackup'), { passphrase: PASSPHRASE }))).toMatch(
        /^backup_(truncated|corrupt)$/,
      );
    }
    expect(await codeOf(verifyBackup(encrypted.file, { passphrase: 'wrong' }))).toBe('backup_key_wrong');
    expect(await codeOf(verifyBackup(encrypted.file))).toBe('backup_key_required');
    expect(await codeOf(verifyBackup(plain.file, { passphrase: PASSPHRASE }))).toBe('backup_not_encrypted');

    const plainBytes = readFileSync(plain.file);
    const i = plainBytes.length - 300;
    const edited = Buffer.from(plainBytes);
    edited[i] ^= 0x20;
    writeFileSync(join(dir, 'edited.rdbackup'), edited);
    expect(await codeOf(verifyBackup(join(dir, 'edited.rdbackup')))).toMatch(/^backup_(corrupt|mismatch)$/);
    writeFileSync(join(dir, 'short.rdbackup'), plainBytes.subarray(0, plainBytes.length - 10));
    expect(await codeOf(verifyBackup(join(dir, 'short.rdbackup')))).toBe('backup_truncated');

    const target = await throwawayDatabase('sqlite');
    targets.push(target);
    expect(await codeOf(restoreBackup(join(dir, 'cut.rdbackup'), target.url, { passphrase: PASSPHRASE }))).toMatch(
      /^backup_(truncated|corrupt)$/,
    );
    expect(existsSync(target.url)).toBe(false);
  });

  it('after a restore into another data folder, with the key the encrypted backup carries, an agent unlock code and a webhook signature still work', async () => {
    const cashier = await h.operator('cashier');
    const challenge = (
      await h.app.inject({
        method: 'POST',
        url: `/api/v1/terminals/${h.ids.terminalId}/unlock-challenge`,
        headers: cashier,
      })
    ).json().challenge as string;
    const hook = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: await h.login('owner'),
      payload: { url: 'https://hooks.example.com/backup', events: ['*'] },
    });
    const secret = hook.json().secret as string;
    const file = join(dir, 'keyed.rdbackup');
    await createBackup(h.ctx.config, file, { passphrase: PASSPHRASE });

    const target = join(dir, 'elsewhere', 'data', 'refunddesk.db');
    const r = await restoreBackup(file, target, { passphrase: PASSPHRASE });
    expect(r.secretKeyFile).toBe(join(dir, 'elsewhere', 'data', 'secret.key'));
    const { db, ctx } = await openContext({ ...h.ctx.config, databaseUrl: target, secretKey: undefined }, h.clock);
    const app = await buildApp(db, ctx);
    try {
      const codeFor = async (a: typeof app) => {
        const login = await a.inject({ method: 'POST', url: '/api/v1/auth/login', payload: DEMO.agent });
        return a.inject({
          method: 'POST',
          url: '/api/v1/agent/unlock-codes',
          headers: { authorization: `Bearer ${login.json().token}` },
          payload: { terminalId: h.ids.terminalId, challenge },
        });
      };
      const [here, there] = [await codeFor(h.app), await codeFor(app)];
      expect(there.statusCode, there.body).toBe(201);
      expect(there.json().unlockCode).toBe(here.json().unlockCode);

      const endpoint = await db.kysely
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', hook.json().id)
        .executeTakeFirstOrThrow();
      const opened = openSecret(
        purposeKey(ctx.config, 'webhook-secrets'),
        endpoint.secret_ciphertext as string,
        endpoint.id,
      );
      const body = '{"type":"refund.succeeded"}';
      const t = 1_772_438_400;
      expect(verifyWebhookSignature(opened, signatureHeader(secret, body, t), body, 300, new Date(t * 1000))).toBe(
        true,
      );
      expect(opened).toBe(secret);
    } finally {
      await app.close();
      await db.close();
    }
  });

  it('refuses a non-empty target unless forced, and a plain backup without its secret key', async () => {
    expect(
      await codeOf(restoreBackup(plain.file, h.ctx.config.databaseUrl, { secretKey: h.ctx.config.secretKey })),
    ).toBe('backup_target_not_empty');
    const target = await throwawayDatabase('sqlite');
    targets.push(target);
    expect(await codeOf(restoreBackup(plain.file, target.url))).toBe('backup_secret_key_mismatch');
    expect(await codeOf(restoreBackup(plain.file, target.url, { secretKey: randomBytes(32).toString('hex') }))).toBe(
      'backup_secret_key_mismatch',
    );
    await restoreBackup(plain.file, target.url, { secretKey: h.ctx.config.secretKey });
    expect(await codeOf(restoreBackup(plain.file, target.url, { secretKey: h.ctx.config.secretKey }))).toBe(
      'backup_target_not_empty',
    );
    const forced = await restoreBackup(encrypted.file, target.url, {
      passphrase: PASSPHRASE,
      force: true,
      secretKey: h.ctx.config.secretKey,
    });
    expect(forced.rows).toBe(encrypted.manifest.tables.reduce((n, t) => n + t.rows, 0));
  });
  it.each(engines())(
    'restores a backup taken at an older schema into %s: loaded at that schema, then migrated to the latest',
    async (targetEngine) => {
      const OLD = '020_backup_runs';
      const latest = migrationNames().at(-1);
      expect(latest).not.toBe(OLD);
      const source = await throwawayDatabase(engine);
      targets.push(source);
      const old = connect(source.url);
      try {
        await migrateTo(old, OLD);
      } finally {
        await old.close();
      }
      await copyRowsInto(h.db, source);
      const file = join(dir, `schema-${OLD}-${targetEngine}.rdbackup`);
      const backup = await createBackup({ databaseUrl: source.url, secretKey: h.ctx.config.secretKey }, file);
      expect(backup.manifest.schemaVersion).toBe(OLD);
      // 021 adds the terminal journal, which this schema has not got.
      expect(backup.manifest.tables.map((t) => t.name)).not.toContain('terminal_journal');

      const target = await throwawayDatabase(targetEngine);
      targets.push(target);
      const r = await restoreBackup(file, target.url, { secretKey: h.ctx.config.secretKey });
      expect(r).toMatchObject({ schemaVersion: OLD, migratedTo: latest });

      const db = connect(target.url);
      try {
        expect(await pendingMigrations(db)).toEqual([]);
        const applied = await db.kysely
          .selectFrom('kysely_migration' as never)
          .select(sql<string>`max(name)`.as('name'))
          .executeTakeFirstOrThrow();
        expect(applied.name).toBe(latest);
        for (const t of backup.manifest.tables) {
          const n = await db.kysely
            .selectFrom(t.name as never)
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirstOrThrow();
          expect(Number(n.n), t.name).toBe(t.rows);
        }
        expect(backup.manifest.tables.find((t) => t.name === 'payments')?.rows).toBeGreaterThan(0);
        // The migrations after OLD ran over the restored rows: 021 numbered the terminals and
        // rebuilt their journal from the sales.
        expect((await db.kysely.selectFrom('terminal_journal').select('id').execute()).length).toBeGreaterThan(0);
        const unnumbered = await db.kysely
          .selectFrom('terminals')
          .select('id')
          .where('terminal_no', 'is', null)
          .execute();
        expect(unnumbered).toEqual([]);
      } finally {
        await db.close();
      }
    },
  );

  it('names the first table whose row count or hash differs from the manifest (backup_mismatch), in an otherwise whole file', async () => {
    const withRows = plain.manifest.tables.filter((t) => t.rows > 0);
    const [first, later] = [withRows[1], withRows[withRows.length - 1]];
    const lie = (name: string, change: object) => (m: BackupManifest) => ({
      ...m,
      tables: m.tables.map((t) => (t.name === name ? { ...t, ...change } : t)),
    });
    const both = join(dir, 'miscounted.rdbackup');
    await forgeBackup(plain.file, both, {
      manifest: (m) => lie(later.name, { sha256: '0'.repeat(64) })(lie(first.name, { rows: first.rows + 1 })(m)),
    });
    const e = await errorOf(verifyBackup(both));
    expect(e.code).toBe('backup_mismatch');
    expect(e.message).toContain(`table ${first.name}: ${first.rows} rows, the manifest says ${first.rows + 1}`);
    expect(e.message).not.toContain(`table ${later.name}:`);

    const rehashed = join(dir, 'rehashed.rdbackup');
    await forgeBackup(plain.file, rehashed, { manifest: lie(later.name, { sha256: '0'.repeat(64) }) });
    const h2 = await errorOf(verifyBackup(rehashed));
    expect(h2.code).toBe('backup_mismatch');
    expect(h2.message).toContain(`table ${later.name}: its SHA-256 does not match the manifest`);

    // The forger itself is faithful: an unedited copy verifies.
    await forgeBackup(plain.file, join(dir, 'copied.rdbackup'), {});
    expect((await verifyBackup(join(dir, 'copied.rdbackup'))).manifest.tables).toEqual(plain.manifest.tables);
  });

  it.each([
    ['a newer RefundDesk', { refunddeskVersion: '99.0.0' }, 'made by RefundDesk 99.0.0'],
    ['an unknown, newer schema', { schemaVersion: '999_future' }, 'schema 999_future is unknown'],
  ])('refuses to restore a file from %s (backup_from_newer_version), loading nothing', async (_, forged, says) => {
    const file = join(dir, `newer-${Object.keys(forged)[0]}.rdbackup`);
    await forgeBackup(plain.file, file, {
      intro: (i) => ({ ...i, ...forged }),
      manifest: (m) => ({ ...m, ...forged }),
    });
    // Whole and consistent: what is refused is where it comes from.
    expect((await verifyBackup(file)).manifest).toMatchObject(forged);
    const target = await throwawayDatabase(engine);
    targets.push(target);
    const e = await errorOf(restoreBackup(file, target.url, { secretKey: h.ctx.config.secretKey }));
    expect(e.code).toBe('backup_from_newer_version');
    expect(e.message).toContain(says);
    if (engine === 'sqlite') {
      expect(existsSync(target.url)).toBe(false);
    } else {
      const db = connect(target.url);
      try {
        expect(await existingTables(db)).toEqual([]);
      } finally {
        await db.close();
      }
    }
  });

  it('refuses a newer RefundDesk’s file on its intro, before reading the rest (here cut short)', async () => {
    const whole = join(dir, 'newer-whole.rdbackup');
    await forgeBackup(plain.file, whole, { intro: (i) => ({ ...i, refunddeskVersion: '99.0.0' }) });
    const cut = join(dir, 'newer-cut.rdbackup');
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect((await errorOf(verifyBackup(cut))).code).toBe('backup_truncated'); // what reading it all finds
    const target = await throwawayDatabase(engine);
    targets.push(target);
    const e = await errorOf(restoreBackup(cut, target.url, { secretKey: h.ctx.config.secretKey }));
    expect(e.code).toBe('backup_from_newer_version');
  });
});

describe('restoring a backup from a newer RefundDesk', () => {
  const intro = { createdAt: '', engine: 'sqlite' as const, totalRows: 0, schemaVersion: '001_foundation' };
  it('is refused with backup_from_newer_version, for a newer release or an unknown schema', () => {
    expect(() => assertRestorable({ ...intro, refunddeskVersion: '99.0.0' })).toThrow(
      expect.objectContaining({ code: 'backup_from_newer_version' }),
    );
    expect(() =>
      assertRestorable({ ...intro, refunddeskVersion: REFUNDDESK_VERSION, schemaVersion: '999_future' }),
    ).toThrow(expect.objectContaining({ code: 'backup_from_newer_version' }));
    expect(() => assertRestorable({ ...intro, refunddeskVersion: REFUNDDESK_VERSION })).not.toThrow();
  });
});
