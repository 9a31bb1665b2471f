import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, id, idParam } from '../http/schemas.js';
import { digits, secretText } from '../http/text.js';
import * as loginPasswords from './login-password.service.js';
import * as policies from './policy.service.js';
import { POLICY_BOUNDS } from './policy-bounds.js';
import * as refundPasswords from './refund-password.service.js';

const newPassword = {
  newPassword: secretText(256),
  confirmPassword: secretText(256),
};

const statusSchema = z.object({
  set: z.boolean().describe('false after a terminal re-initialisation: refunds wait for a new one'),
  changedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  daysLeft: z.number().int().nullable(),
  expired: z.boolean(),
  reminder: z.boolean(),
  locked: z.boolean().describe('locked after too many wrong entries'),
  unlockAt: z.string().nullable().describe('when the lock ends'),
  attemptsLeft: z.number().int().describe('wrong entries it still takes to lock; 0 while locked'),
});

const bounded = (b: { min: number; max: number }) => z.number().int().min(b.min).max(b.max);
const range = z.object({ minLength: z.number().int(), maxLength: z.number().int() });

/** The policy in force (platform, then the merchant's override): every rule, for reading. */
const policySchema = z.object({
  refundPassword: range.extend({ expiryDays: z.number().int(), warnDays: z.number().int() }),
  operatorPassword: range,
  consolePassword: range,
  historySize: z.number().int(),
  lockout: z.object({ maxFailures: z.number().int(), lockMinutes: z.number().int() }),
  recovery: z.object({
    codeMinutes: z.number().int(),
    maxSendsPerHour: z.number().int(),
    unlockCodeMinutes: z.number().int(),
    challengeMinutes: z.number().int(),
  }),
});

const policyInForce = z.object({
  merchantId: z.string(),
  override: z
    .object({
      refundPassword: range.extend({ expiryDays: z.number().int() }).partial().optional(),
      historySize: z.number().int().optional(),
      lockout: z.object({ maxFailures: z.number().int(), lockMinutes: z.number().int() }).partial().optional(),
    })
    .nullable()
    .describe('What the merchant sets; null: the platform policy as it is'),
  policy: policySchema,
});

/** The settings the CLI's `refund-password policy` takes, within the same PCI DSS bounds. */
const policyChanges = z
  .object({
    minLength: bounded(POLICY_BOUNDS.refundPasswordLength).optional().describe('refund password minimum length'),
    maxLength: bounded(POLICY_BOUNDS.refundPasswordLength).optional().describe('refund password maximum length'),
    expiryDays: bounded(POLICY_BOUNDS.expiryDays).optional().describe('refund password expiry (PCI DSS 8.3.9)'),
    historySize: bounded(POLICY_BOUNDS.historySize).optional().describe('passwords not to reuse (PCI DSS 8.3.7)'),
    maxFailures: bounded(POLICY_BOUNDS.maxFailures).optional().describe('lock after n failures (PCI DSS 8.3.4)'),
    lockMinutes: bounded(POLICY_BOUNDS.lockMinutes).optional().describe('lock for n minutes (PCI DSS 8.3.4)'),
    clear: z.boolean().optional().describe('drop the override first, then apply any settings given'),
  })
  .strict();

export const credentialRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.put(
    '/api/v1/merchants/:id/refund-password',
    {
      config: { auth: { roles: refundPasswords.REFUND_PASSWORD_CHANGE_ROLES } },
      schema: {
        tags: ['refund password'],
        summary:
          'Change the refund password (修改退款密码): current, new, confirm; then everyone logs in again. While none is set (after a terminal re-initialisation), without the current one',
        params: idParam('mer'),
        body: z.object({
          currentPassword: secretText(64)
            .optional()
            .describe('the current refund password; left out only while none is set (after a re-initialisation)'),
          ...newPassword,
        }),
        response: { 204: z.null(), ...errorResponses, 423: errorResponses[403] },
      },
    },
    async (req, reply) => {
      await refundPasswords.changeRefundPassword(app.db, ctx, req.actor, req.params.id, req.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/merchants/:id/refund-password/status',
    {
      config: { auth: { roles: refundPasswords.REFUND_PASSWORD_STATUS_ROLES } },
      schema: {
        tags: ['refund password'],
        summary: 'When the refund password was changed and when it expires (never the password)',
        params: idParam('mer'),
        response: { 200: statusSchema, ...errorResponses },
      },
    },
    async (req) => refundPasswords.refundPasswordStatusFor(app.db.kysely, ctx, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/merchants/:id/password-policy',
    {
      config: { auth: { roles: policies.POLICY_HTTP_ROLES } },
      schema: {
        tags: ['refund password'],
        summary: 'The merchant’s password policy: its override and the policy in force',
        params: idParam('mer'),
        response: { 200: policyInForce, ...errorResponses },
      },
    },
    async (req) => policies.passwordPolicyOf(app.db.kysely, ctx, req.actor, req.params.id),
  );

  app.put(
    '/api/v1/merchants/:id/password-policy',
    {
      config: { auth: { roles: policies.POLICY_HTTP_ROLES } },
      schema: {
        tags: ['refund password'],
        summary:
          'Change the merchant’s password-policy override (refund password length and expiry; history and lockout, which also apply to its logins); audited',
        params: idParam('mer'),
        body: policyChanges,
        response: { 200: policyInForce, ...errorResponses },
      },
    },
    async (req) => policies.setPasswordPolicy(app.db, ctx, req.actor, req.params.id, req.body),
  );

  app.put(
    '/api/v1/auth/password',
    {
      config: {
        auth: {
          roles: loginPasswords.OWN_PASSWORD_ROLES,
          allowWhilePasswordChangeRequired: true,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Change your own login password (operators and console users); then log in again',
        body: z.object({ currentPassword: secretText(256), ...newPassword }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await loginPasswords.changeOwnPassword(app.db, ctx, req.actor, req.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/terminals/:id/operators/:code/password-reset',
    {
      config: { auth: { roles: loginPasswords.OPERATOR_RESET_ROLES } },
      schema: {
        tags: ['auth'],
        summary: 'Give an operator a temporary password they must change at next login',
        params: z.object({ id: id('trm'), code: digits(2) }),
        body: z.object({ temporaryPassword: secretText(64) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await loginPasswords.resetOperatorPassword(
        app.db,
        ctx,
        req.actor,
        req.params.id,
        req.params.code,
        req.body.temporaryPassword,
      );
      return reply.code(204).send(null);
    },
  );
};
