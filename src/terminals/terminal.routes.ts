import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { peopleRoles } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import {
  batchTotalsSchema,
  errorResponses,
  idParam,
  journalEntrySchema,
  openBatchSchema,
  page,
  pageQuery,
  receiptQuery,
  receiptSchema,
  terminalSchema,
} from '../http/schemas.js';
import { line, secretText } from '../http/text.js';
import * as journal from '../payments/journal.service.js';
import * as settlement from '../payments/settlement.service.js';
import { REINITIALIZE_ROLES, reinitializeTerminal } from './reinitialize.js';
import * as terminals from './terminal.service.js';

const seeAll = peopleRoles;
const batchNo = z.coerce.number().int().min(1).max(999_999);
/** Who reads a terminal's journal and slips: its operators, its merchant, the acquirer, the platform (not agents). */
const journalReaders = [
  'cashier',
  'supervisor',
  'merchant_owner',
  'acquirer_reviewer',
  'platform_admin',
  'api_key',
] as const;

export const terminalRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/terminals',
    {
      config: { auth: { roles: [...seeAll, 'api_key'] } },
      schema: {
        tags: ['terminals'],
        summary: 'Terminals the caller may see, newest first',
        querystring: pageQuery,
        response: { 200: page(terminalSchema), ...errorResponses },
      },
    },
    async (req) => terminals.listTerminals(app.db.kysely, req.actor, req.query),
  );

  app.get(
    '/api/v1/public/terminals/:serial',
    {
      schema: {
        tags: ['terminals'],
        summary: 'Which terminal am I (终端号): what a terminal’s screen shows, found by its serial',
        security: [],
        params: z.object({ serial: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'a terminal serial such as T-0001') }),
        response: {
          200: z.object({ id: z.string(), serial: z.string(), merchantName: z.string() }),
          ...errorResponses,
          429: errorResponses[403],
        },
      },
    },
    async (req) => terminals.getPublicTerminal(app.db, ctx, req.ip, req.params.serial),
  );

  app.get(
    '/api/v1/terminals/:id',
    {
      config: { auth: { roles: [...seeAll, 'api_key'] } },
      schema: { tags: ['terminals'], params: idParam('trm'), response: { 200: terminalSchema, ...errorResponses } },
    },
    async (req) => terminals.getTerminal(app.db.kysely, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/terminals/:id/batch',
    {
      config: { auth: { roles: ['cashier', 'supervisor', 'merchant_owner'] } },
      schema: {
        tags: ['terminals'],
        summary: 'The open batch (查询 → 汇总): its number and totals so far (sales, voids, refunds)',
        params: idParam('trm'),
        response: { 200: openBatchSchema, ...errorResponses },
      },
    },
    async (req) => settlement.openBatchSummary(app.db.kysely, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/terminals/:id/journal',
    {
      config: { auth: { roles: journalReaders } },
      schema: {
        tags: ['terminals'],
        summary: 'The terminal’s journal (流水): sales, voids and counter refunds under their 凭证号, newest first',
        params: idParam('trm'),
        querystring: pageQuery.extend({
          voucher: batchNo.optional().describe('凭证号'),
          batch: batchNo.optional().describe('批次号'),
          kind: z.enum(['sale', 'void', 'refund']).optional(),
        }),
        response: { 200: page(journalEntrySchema), ...errorResponses },
      },
    },
    async (req) => journal.listJournal(app.db.kysely, req.actor, req.params.id, req.query),
  );

  app.get(
    '/api/v1/terminals/:id/settlement-receipt',
    {
      config: { auth: { roles: journalReaders } },
      schema: {
        tags: ['terminals'],
        summary: 'The settlement slip (结算总计单) of a settled batch, by default the last one',
        params: idParam('trm'),
        querystring: receiptQuery.extend({
          batch: batchNo.optional().describe('批次号; the last settled when absent'),
        }),
        response: { 200: receiptSchema, ...errorResponses },
      },
    },
    async (req) =>
      settlement.getSettlementReceipt(app.db.kysely, req.actor, req.params.id, req.query.batch, req.query.tz),
  );

  app.post(
    '/api/v1/terminals/:id/settle',
    {
      config: { auth: { roles: ['supervisor', 'merchant_owner'] } },
      schema: {
        tags: ['terminals'],
        summary: 'Settle (结算): close the open batch and return its totals',
        params: idParam('trm'),
        response: { 200: batchTotalsSchema, ...errorResponses },
      },
    },
    async (req) => settlement.settleTerminal(app.db, ctx, req.actor, req.params.id),
  );

  app.post(
    '/api/v1/terminals/:id/reinitialize',
    {
      config: { auth: { roles: REINITIALIZE_ROLES } },
      schema: {
        tags: ['terminals'],
        summary:
          'Re-initialise (重新初始化): back up, then wipe the terminal’s operators, their passwords, its sessions and its unlock challenges, rotate its unlock key and unset the merchant’s refund password; 00 is recreated with a one-time activation code, shown once',
        description:
          'For the agent serving the terminal, the merchant owner, or the terminal’s supervisor (00), with their own password and the serial typed twice. Refused while the open batch has sales (settle first). Money records and the audit log are kept. Audited as terminal.reinitialized.',
        params: idParam('trm'),
        body: z.object({
          confirmSerial: line(32).describe('the terminal’s serial'),
          confirmSerialAgain: line(32).describe('the terminal’s serial, typed again'),
          password: secretText(256).describe('your own login password (the supervisor: the operator password)'),
          skipBackup: z.boolean().optional().describe('do not take the backup first (audited as skipped)'),
        }),
        response: {
          200: z.object({
            terminalId: z.string(),
            serial: z.string(),
            reinitializedAt: z.string(),
            backupId: z.string().nullable().describe('the backup taken first; null when skipped'),
            backupSkipped: z.boolean(),
            operatorsRemoved: z.number().int(),
            sessionsEnded: z.number().int(),
            supervisor: z.object({
              code: z.literal('00'),
              activationCode: z
                .string()
                .describe('shown once: 00 signs on with it, then sets a new operator password and refund password'),
            }),
          }),
          ...errorResponses,
          423: errorResponses[403],
          424: errorResponses[403],
        },
      },
    },
    async (req, reply) => {
      const result = await reinitializeTerminal(app.db, ctx, req.actor, req.params.id, req.body);
      return reply.header('cache-control', 'no-store').send(result);
    },
  );
};
