import type { ApiKeyScope, Role } from '../../src/auth/actor.js';
import type { RouteAuth } from '../../src/http/auth-hook.js';
import { defaultRefundPolicy } from '../../src/refunds/refund-policy.js';
import { DEMO } from '../../src/seed/demo.js';

/**
 * The authorization matrix's case tables (authorization.test.ts): for every protected route, a
 * request that reaches its business logic and the exact answer to expect; and the answers known
 * to differ from the matrix's rule.
 */

export type Headers = Record<string, string>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Owner = 'main' | 'other';
/**
 * Whose objects a principal reaches: its merchant's, every merchant's here (the demo acquirer and
 * agency serve both), or none (a reviewer of another acquirer, an agent of another agency).
 */
export type Reach = Owner | 'all' | 'none';

export interface Principal {
  name: string;
  role: Role;
  scopes: readonly ApiKeyScope[];
  reach: Reach;
  headers: Headers;
  /** The login password, where this file knows it (not for API keys, nor for h.stranger()). */
  password?: string;
  /** An operator's terminal: the only one it acts on. */
  terminal?: string;
  /** An agent's: the terminals its agency serves. */
  serves?: readonly string[];
}

/** A route as the running app declares it: read from its config, not from this file. */
export interface DeclaredRoute {
  method: Method;
  url: string;
  /** With `optional`: a dispute route a customer may call with a secret, no token; a token is held to it. */
  auth: RouteAuth | undefined;
}

/** The objects a request may point at, one set per merchant. */
export interface Objects {
  merchant: string;
  terminal: string;
  sale: string;
  voidSale: string;
  refund: string;
  cancelRefund: string;
  apiKey: string;
  refundPassword: string;
  /** A customer's request the merchant has not answered (pending_merchant), and its tracking secret. */
  reviewRefund: string;
  trackingSecret: string;
  /** A challenge the terminal showed, for the agent's unlock code. */
  challenge: string;
  webhook: string;
  /** A finished backup run (backup runs are the platform's, not a merchant's). */
  backupRun: string;
  /** A customer's payment dispute (negotiating), its access secret, and a file in its thread. */
  dispute: string;
  disputeSecret: string;
  attachment: string;
}

/** Objects a request uses up (a delete, a cancel, a void): made afresh for every request. */
export type Fresh = 'apiKey' | 'webhook' | 'cancelRefund' | 'voidSale';

/** An exact answer: status, and the problem's code (and detail) when it is a refusal. */
export interface Answer {
  status: number;
  code?: string;
  detail?: RegExp;
}

export interface Fixture {
  fresh?: Fresh;
  params?: (o: Objects) => Record<string, string>;
  query?: (o: Objects) => Record<string, string>;
  body?: (o: Objects, p: Principal | undefined) => unknown;
  /** Whether the request reaches one merchant's object, so another tenant must get 404. */
  tenantBound: boolean | ((p: Principal) => boolean);
  /**
   * The request names a terminal: `see` it (its merchant's people, the agents of the agency that
   * serves it), or `act` on it (an operator only on its own terminal), or both (`act+see`: a
   * re-initialisation, by the terminal's own 00 or an agent of the agency serving it).
   */
  terminal?: 'see' | 'act' | 'act+see';
  /** Why a route that is not tenant-bound names no object of anyone else. */
  why?: string;
  /**
   * The exact answer for callers who are allowed and in reach. Destructive routes get a body that
   * passes authorization and the tenant check, then fails a business rule without changing anything.
   */
  answer?: Answer | ((p: Principal) => Answer);
}

const { merchantId: _m, updatedAt: _u, ...DEFAULT_POLICY } = defaultRefundPolicy('mer_x');
/** A refund PIN that is neither merchant's. */
const WRONG_REFUND_PASSWORD = '000000';
/** New-password pairs that differ: even a lucky proof changes nothing. */
const MISMATCHED = { newPassword: '480263', confirmPassword: '480264' };

/** Requests that reach the business logic: every protected route has one (checked below). */
export const FIXTURES: Record<string, Fixture> = {
  'GET /api/v1/auth/me': { tenantBound: false, why: 'the caller itself' },
  'PUT /api/v1/auth/password': {
    // Right current password, new ones that differ: refused after the password check, nothing changes.
    body: (_o, p) => ({ currentPassword: p?.password ?? 'not-my-password-2026', ...MISMATCHED }),
    tenantBound: false,
    why: 'the caller’s own password',
    answer: (p) =>
      p.password
        ? { status: 422, code: 'password_confirmation_mismatch' }
        : { status: 401, code: 'invalid_credentials' },
  },
  'POST /api/v1/api-keys': {
    body: () => ({ name: 'matrix', scopes: ['read'] }),
    tenantBound: false,
    why: 'creates a key of the caller’s merchant',
  },
  'GET /api/v1/api-keys': { tenantBound: false, why: 'lists the caller’s merchant’s keys' },
  'DELETE /api/v1/api-keys/:id': {
    fresh: 'apiKey',
    params: (o) => ({ id: o.apiKey }),
    tenantBound: true,
    answer: { status: 204 },
  },
  'GET /api/v1/terminals': { tenantBound: false, why: 'a list, scoped to the caller' },
  'GET /api/v1/terminals/:id': { params: (o) => ({ id: o.terminal }), tenantBound: true, terminal: 'see' },
  'POST /api/v1/terminals/:id/settle': { params: (o) => ({ id: o.terminal }), tenantBound: true, terminal: 'act' },
  'GET /api/v1/terminals/:id/batch': { params: (o) => ({ id: o.terminal }), tenantBound: true, terminal: 'act' },
  'GET /api/v1/terminals/:id/journal': { params: (o) => ({ id: o.terminal }), tenantBound: true, terminal: 'act' },
  'GET /api/v1/terminals/:id/settlement-receipt': {
    params: (o) => ({ id: o.terminal }),
    tenantBound: true,
    terminal: 'act',
  },
  // Destructive: serials that differ are refused after the role and reach checks, before the password.
  'POST /api/v1/terminals/:id/reinitialize': {
    params: (o) => ({ id: o.terminal }),
    body: () => ({ confirmSerial: 'T-0001', confirmSerialAgain: 'T-9999', password: 'x', skipBackup: true }),
    tenantBound: true,
    terminal: 'act+see',
    answer: { status: 422, code: 'serial_confirmation_mismatch' },
  },
  'GET /api/v1/merchants/:id': { params: (o) => ({ id: o.merchant }), tenantBound: true },
  'POST /api/v1/payments': {
    body: (o) => ({ amount: 100, card: { number: '4111111111111111' }, terminalId: o.terminal }),
    // Operators always sell on their own terminal; only an API key names one.
    tenantBound: (p) => p.role === 'api_key',
    terminal: 'act',
  },
  'GET /api/v1/payments': { tenantBound: false, why: 'a list, scoped to the caller' },
  'GET /api/v1/payments/:id': { params: (o) => ({ id: o.sale }), tenantBound: true },
  'GET /api/v1/payments/:id/receipt': { params: (o) => ({ id: o.sale }), tenantBound: true },
  'POST /api/v1/payments/:id/flag': {
    params: (o) => ({ id: o.sale }),
    body: () => ({ flagged: false, reason: 'authorization matrix' }),
    tenantBound: true,
  },
  'POST /api/v1/payments/:id/void': {
    fresh: 'voidSale',
    params: (o) => ({ id: o.voidSale }),
    body: (o) => ({ refundPassword: o.refundPassword }),
    tenantBound: true,
    answer: { status: 200 },
  },
  'POST /api/v1/refunds': {
    body: (o) => ({ paymentId: o.sale, amount: 1, reason: 'other', refundPassword: o.refundPassword }),
    tenantBound: true,
  },
  'GET /api/v1/refunds': { tenantBound: false, why: 'a list, scoped to the caller' },
  'GET /api/v1/refunds/:id': { params: (o) => ({ id: o.refund }), tenantBound: true },
  'GET /api/v1/refunds/:id/receipt': { params: (o) => ({ id: o.refund }), tenantBound: true },
  'POST /api/v1/refunds/:id/cancel': {
    fresh: 'cancelRefund',
    params: (o) => ({ id: o.cancelRefund }),
    body: () => ({}),
    tenantBound: true,
    answer: { status: 200 },
  },
  'POST /api/v1/refunds/:id/retry': { params: (o) => ({ id: o.refund }), tenantBound: true },

  // Refund review: a rejection without a reason is refused after the refund is found and the
  // caller is its merchant; the acquirer's decision meets a refund the merchant has not passed on.
  'POST /api/v1/refunds/:id/merchant-decision': {
    params: (o) => ({ id: o.reviewRefund }),
    body: () => ({ decision: 'reject' }),
    tenantBound: true,
    answer: { status: 400, code: 'validation_failed', detail: /needs a reason/ },
  },
  'POST /api/v1/refunds/:id/acquirer-decision': {
    params: (o) => ({ id: o.reviewRefund }),
    body: () => ({ decision: 'approve', reason: 'authorization matrix' }),
    tenantBound: true,
    answer: { status: 409, code: 'invalid_transition' },
  },
  'GET /api/v1/acquirer/refund-reviews': { tenantBound: false, why: 'a queue, scoped to the caller’s acquirer' },

  // Refund policy.
  'GET /api/v1/merchants/:id/refund-policy': { params: (o) => ({ id: o.merchant }), tenantBound: true },
  'PUT /api/v1/merchants/:id/refund-policy': {
    params: (o) => ({ id: o.merchant }),
    body: () => DEFAULT_POLICY,
    tenantBound: true,
    answer: { status: 200 },
  },

  // Refund password and recovery: wrong proofs (each counts one failure toward a lockout of five;
  // a run makes at most two per secret) and new passwords that differ.
  'PUT /api/v1/merchants/:id/refund-password': {
    params: (o) => ({ id: o.merchant }),
    body: () => ({ currentPassword: WRONG_REFUND_PASSWORD, ...MISMATCHED }),
    tenantBound: true,
    answer: { status: 403, code: 'refund_password_invalid' },
  },
  'GET /api/v1/merchants/:id/refund-password/status': { params: (o) => ({ id: o.merchant }), tenantBound: true },
  'GET /api/v1/merchants/:id/password-policy': { params: (o) => ({ id: o.merchant }), tenantBound: true },
  // No settings: the override stays as it is (the change is still audited).
  'PUT /api/v1/merchants/:id/password-policy': {
    params: (o) => ({ id: o.merchant }),
    body: () => ({}),
    tenantBound: true,
    answer: { status: 200 },
  },
  'POST /api/v1/terminals/:id/operators/:code/password-reset': {
    params: (o) => ({ id: o.terminal, code: DEMO.terminal.cashier.code }),
    body: () => ({ temporaryPassword: '1' }),
    tenantBound: true,
    terminal: 'act',
    answer: { status: 422, code: 'password_too_short' },
  },
  'GET /api/v1/terminals/:id/operators': { params: (o) => ({ id: o.terminal }), tenantBound: true, terminal: 'act' },
  // Code 00 is the supervisor's: refused before any change, after the role and tenant checks.
  'POST /api/v1/terminals/:id/operators': {
    params: (o) => ({ id: o.terminal }),
    body: () => ({ code: '00', password: '482615' }),
    tenantBound: true,
    terminal: 'act',
    answer: { status: 400, code: 'validation_failed' },
  },
  'DELETE /api/v1/terminals/:id/operators/:code': {
    params: (o) => ({ id: o.terminal, code: DEMO.terminal.supervisor.code }),
    tenantBound: true,
    terminal: 'act',
    answer: { status: 409, code: 'operator_not_deletable' },
  },
  'POST /api/v1/terminals/:id/unlock-challenge': {
    params: (o) => ({ id: o.terminal }),
    tenantBound: true,
    terminal: 'act',
    answer: { status: 201 },
  },
  'POST /api/v1/agent/unlock-codes': {
    body: (o) => ({ terminalId: o.terminal, challenge: o.challenge }),
    tenantBound: true,
    terminal: 'see',
    answer: { status: 201 },
  },
  'POST /api/v1/terminals/:id/refund-password/reset': {
    params: (o) => ({ id: o.terminal }),
    body: () => ({ unlockCode: '00000000', ...MISMATCHED }),
    tenantBound: true,
    terminal: 'act',
    answer: { status: 403, code: 'unlock_code_invalid' },
  },
  'POST /api/v1/merchants/:id/refund-password/recovery': {
    params: (o) => ({ id: o.merchant }),
    body: () => ({ channel: 'email' }),
    tenantBound: true,
    answer: { status: 202 },
  },
  'POST /api/v1/merchants/:id/refund-password/recovery/verify': {
    params: (o) => ({ id: o.merchant }),
    body: () => ({ code: '000000', ...MISMATCHED }),
    tenantBound: true,
    answer: { status: 403, code: 'recovery_code_invalid' },
  },

  // Audit: one merchant's chain.
  'GET /api/v1/audit-events': { query: (o) => ({ merchantId: o.merchant }), tenantBound: true },

  // Webhooks.
  'POST /api/v1/webhook-endpoints': {
    body: () => ({ url: 'https://hooks.example.com/matrix', events: ['*'] }),
    tenantBound: false,
    why: 'creates an endpoint of the caller’s merchant',
  },
  'GET /api/v1/webhook-endpoints': { tenantBound: false, why: 'lists the caller’s merchant’s endpoints' },
  'GET /api/v1/webhook-endpoints/:id': { params: (o) => ({ id: o.webhook }), tenantBound: true },
  'DELETE /api/v1/webhook-endpoints/:id': {
    fresh: 'webhook',
    params: (o) => ({ id: o.webhook }),
    tenantBound: true,
    answer: { status: 204 },
  },
  'GET /api/v1/webhook-endpoints/:id/deliveries': { params: (o) => ({ id: o.webhook }), tenantBound: true },

  // Backups: platform-wide, no merchant's object.
  'GET /api/v1/backups': { tenantBound: false, why: 'backup runs are the platform’s, not a merchant’s' },
  'POST /api/v1/backups': {
    tenantBound: false,
    why: 'a backup of the platform',
    answer: { status: 202 },
  },
  'GET /api/v1/backups/:id': {
    params: (o) => ({ id: o.backupRun }),
    tenantBound: () => false,
    why: 'backup runs are the platform’s, not a merchant’s',
  },
  'GET /api/v1/backups/:id/file': {
    params: (o) => ({ id: o.backupRun }),
    tenantBound: () => false,
    why: 'backup files are the platform’s',
  },

  // Disputes (staff side; the customer's side is checked on its own below). Every write meets a
  // negotiating dispute in a state that refuses it, except a message, which only adds to the thread.
  'GET /api/v1/disputes': { tenantBound: false, why: 'a list, scoped to the caller' },
  'GET /api/v1/disputes/:id': { params: (o) => ({ id: o.dispute }), tenantBound: true },
  'GET /api/v1/disputes/:id/attachments/:attachmentId': {
    params: (o) => ({ id: o.dispute, attachmentId: o.attachment }),
    tenantBound: true,
  },
  'GET /api/v1/disputes/:id/case-file': { params: (o) => ({ id: o.dispute }), tenantBound: true },
  'POST /api/v1/disputes/:id/messages': {
    params: (o) => ({ id: o.dispute }),
    body: () => ({ body: 'from the authorization matrix' }),
    tenantBound: true,
    // The merchant writes while negotiating; the acquirer joins only once escalated.
    answer: (p) => (p.role === 'acquirer_reviewer' ? { status: 409, code: 'invalid_transition' } : { status: 201 }),
  },
  'POST /api/v1/disputes/:id/decision': {
    params: (o) => ({ id: o.dispute }),
    body: () => ({ outcome: 'resolved_for_merchant', ruling: 'authorization matrix' }),
    tenantBound: true,
    answer: { status: 409, code: 'invalid_transition' },
  },
  'POST /api/v1/disputes/:id/refer': {
    params: (o) => ({ id: o.dispute }),
    body: () => ({}),
    tenantBound: true,
    answer: { status: 409, code: 'invalid_transition' },
  },
  'POST /api/v1/disputes/:id/close': {
    params: (o) => ({ id: o.dispute }),
    body: () => ({ outcome: 'concluded', note: 'authorization matrix' }),
    tenantBound: true,
    answer: { status: 409, code: 'invalid_transition' },
  },
};

/**
 * Known answers that differ from the matrix's rule (404 for whoever the object is hidden from),
 * pinned so that a change either way is seen.
 * `POST /api/v1/agent/unlock-codes`: an agent whose agency does not serve the terminal gets 403
 * forbidden (audited as `unlock_code.refused`), where every other route answers 404 — and an
 * unknown terminal id gets 404 here, so the answer tells an existing terminal from a made-up one.
 * Issue 3 asks for exactly this ("an agent of another terminal gets 403"): the agent is told plainly
 * that the terminal is not theirs, and the refusal is audited. Agents are known staff, not the public.
 */
export const DEVIATIONS: Record<string, { hiddenFrom: (p: Principal) => boolean; answer: Answer }> = {
  'POST /api/v1/agent/unlock-codes': {
    hiddenFrom: (p) => p.role === 'agent_staff',
    answer: { status: 403, code: 'forbidden' },
  },
};
