import { createReadStream } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, idParam, page, pageQuery, problemSchema } from '../http/schemas.js';
import * as runs from './backup-run.service.js';

const readers = { auth: { roles: runs.BACKUP_READ_ROLES } };
const admins = { auth: { roles: runs.BACKUP_ADMIN_ROLES } };

const runSchema = z.object({
  id: z.string(),
  trigger: z.enum(['schedule', 'request']),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  bytes: z.number().int().nullable(),
  encrypted: z.boolean(),
  verified: z.boolean().describe('the written file was read back and every hash and audit chain matched'),
  fileAvailable: z.boolean(),
  error: z.string().nullable().optional().describe('why it failed (platform admins only)'),
});

export const backupRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/backups',
    {
      config: readers,
      schema: {
        tags: ['backups'],
        summary: 'Backup runs, newest first (platform admins; merchant owners read-only)',
        querystring: pageQuery,
        response: { 200: page(runSchema), ...errorResponses },
      },
    },
    async (req) => runs.listBackupRuns(app.db.kysely, req.actor, req.query),
  );

  app.post(
    '/api/v1/backups',
    {
      config: admins,
      schema: {
        tags: ['backups'],
        summary: 'Start a backup now; follow it at GET /api/v1/backups/{id}',
        response: { 202: runSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(202).send(await runs.requestBackup(app.db, ctx, req.actor)),
  );

  app.get(
    '/api/v1/backups/:id',
    {
      config: readers,
      schema: {
        tags: ['backups'],
        summary: 'One backup run',
        params: idParam('bkp'),
        response: { 200: runSchema, ...errorResponses },
      },
    },
    async (req) => runs.getBackupRun(app.db.kysely, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/backups/:id/file',
    {
      config: admins,
      schema: {
        tags: ['backups'],
        summary: 'Download the backup file (application/octet-stream; encrypted when BACKUP_KEY is set)',
        params: idParam('bkp'),
        response: { 200: z.any(), ...errorResponses, 410: problemSchema },
      },
    },
    async (req, reply) => {
      const file = await runs.backupFileFor(app.db, ctx, req.actor, req.params.id);
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${file.name}"`)
        .send(createReadStream(file.path));
    },
  );
};
