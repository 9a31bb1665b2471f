import { api, ok } from '../api/client';
import type { paths } from '../api/schema';
import { idempotencyKey } from '../format';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'put', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type BoundTerminal = Json<'/api/v1/public/terminals/{serial}', 'get', 200>;
export type LoginResult = Json<'/api/v1/terminals/{terminalId}/login', 'post', 200>;
export type Payment = Json<'/api/v1/payments/{id}', 'get', 200>;
export type Refund = Json<'/api/v1/refunds/{id}', 'get', 200>;
export type Receipt = Json<'/api/v1/payments/{id}/receipt', 'get', 200>;
export type BatchTotals = Json<'/api/v1/terminals/{id}/settle', 'post', 200>;

export const findTerminal = (serial: string) =>
  ok(api.GET('/api/v1/public/terminals/{serial}', { params: { path: { serial } } }));

export const signOn = (terminalId: string, operator: string, password: string) =>
  ok(
    api.POST('/api/v1/terminals/{terminalId}/login', {
      params: { path: { terminalId } },
      body: { operator, password },
    }),
  );

export const signOff = () => ok(api.POST('/api/v1/auth/logout'));

export const sell = (amount: number, cardNumber: string) =>
  ok(
    api.POST('/api/v1/payments', {
      params: { header: { 'idempotency-key': idempotencyKey() } },
      body: { amount, card: { number: cardNumber } },
    }),
  );

/** The slip prints its time in the browser's own time zone. */
const tz = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The sale's slip, or the void's once voided; `kind` asks for one of them. */
export const paymentReceipt = (id: string, kind?: 'sale' | 'void') =>
  ok(api.GET('/api/v1/payments/{id}/receipt', { params: { path: { id }, query: { tz: tz(), kind } } }));

export const refundReceipt = (id: string) =>
  ok(api.GET('/api/v1/refunds/{id}/receipt', { params: { path: { id }, query: { tz: tz() } } }));

export type JournalEntry = Json<'/api/v1/terminals/{id}/journal', 'get', 200>['data'][number];

/** The terminal's journal (流水), newest first: by 凭证号, or a batch's entries. */
export const journal = (
  terminalId: string,
  query: { voucher?: number; batch?: number; kind?: JournalEntry['kind']; limit?: number },
) =>
  ok(
    api.GET('/api/v1/terminals/{id}/journal', { params: { path: { id: terminalId }, query: { limit: 50, ...query } } }),
  );

/** The slip of a journal entry: a refund's, a void's, or a sale's own (even when voided since). */
export const entryReceipt = (e: JournalEntry) =>
  e.kind === 'refund' && e.refundId
    ? refundReceipt(e.refundId)
    : paymentReceipt(e.paymentId, e.kind === 'void' ? 'void' : 'sale');

/** 结算总计单: the settlement slip of a settled batch, by default the terminal's last. */
export const settlementReceipt = (terminalId: string, batch?: number) =>
  ok(
    api.GET('/api/v1/terminals/{id}/settlement-receipt', {
      params: { path: { id: terminalId }, query: { tz: tz(), batch } },
    }),
  );

export const recentPayments = (limit: number, cursor?: string) =>
  ok(api.GET('/api/v1/payments', { params: { query: { limit, cursor } } }));

const lookUp = (query: { reference?: string; voucher?: number; batch?: number; limit?: number }) =>
  ok(api.GET('/api/v1/payments', { params: { query: { limit: 20, ...query } } }));

/** The terminal's payment with that 参考号 (an operator sees only its own terminal's). */
export async function findPaymentByReference(reference: string): Promise<Payment | undefined> {
  return (await lookUp({ reference, limit: 1 })).data[0];
}

/** The terminal's payment whose sale, void or refund took that 凭证号. */
export async function findPaymentByVoucher(voucher: number): Promise<Payment | undefined> {
  return (await lookUp({ voucher, limit: 1 })).data[0];
}

/** 6 digits or fewer: a 凭证号; 12: a 参考号. */
export const findPayment = (digits: string) =>
  digits.length <= 6 ? findPaymentByVoucher(Number(digits)) : findPaymentByReference(digits);

/** The payments of the terminal's batch with that number, newest first. */
export const batchPayments = (batch: number) => lookUp({ batch });

export type OpenBatch = Json<'/api/v1/terminals/{id}/batch', 'get', 200>;

/** The open batch's number and totals so far (查询 → 汇总, the status bar's 批次号). */
export const openBatch = (terminalId: string) =>
  ok(api.GET('/api/v1/terminals/{id}/batch', { params: { path: { id: terminalId } } }));

export const refund = (paymentId: string, amount: number, refundPassword: string) =>
  ok(
    api.POST('/api/v1/refunds', {
      params: { header: { 'idempotency-key': idempotencyKey() } },
      body: { paymentId, amount, reason: 'goods_returned', refundPassword },
    }),
  );

export const voidPayment = (id: string, refundPassword: string) =>
  ok(
    api.POST('/api/v1/payments/{id}/void', {
      params: { path: { id }, header: { 'idempotency-key': idempotencyKey() } },
      body: { refundPassword },
    }),
  );

export const settle = (terminalId: string) =>
  ok(api.POST('/api/v1/terminals/{id}/settle', { params: { path: { id: terminalId } } }));

export const changeRefundPassword = (
  merchantId: string,
  body: { currentPassword: string; newPassword: string; confirmPassword: string },
) => ok(api.PUT('/api/v1/merchants/{id}/refund-password', { params: { path: { id: merchantId } }, body }));

export const changeOwnPassword = (body: { currentPassword: string; newPassword: string; confirmPassword: string }) =>
  ok(api.PUT('/api/v1/auth/password', { body }));

/** The payment's refunds, newest first. */
export const refundsOf = (paymentId: string) =>
  ok(api.GET('/api/v1/refunds', { params: { query: { paymentId, limit: 5 } } }));

/** 柜员管理: the terminal's operators (supervisor of the terminal, or the merchant's owner). */
export const listOperators = (terminalId: string) =>
  ok(api.GET('/api/v1/terminals/{id}/operators', { params: { path: { id: terminalId } } }));

export const addOperator = (terminalId: string, code: string, password: string) =>
  ok(api.POST('/api/v1/terminals/{id}/operators', { params: { path: { id: terminalId } }, body: { code, password } }));

export const deleteOperator = (terminalId: string, code: string) =>
  ok(api.DELETE('/api/v1/terminals/{id}/operators/{code}', { params: { path: { id: terminalId, code } } }));

/** 操作员改密: a temporary password the operator must change at its next sign-on. */
export const resetOperatorPassword = (terminalId: string, code: string, temporaryPassword: string) =>
  ok(
    api.POST('/api/v1/terminals/{id}/operators/{code}/password-reset', {
      params: { path: { id: terminalId, code } },
      body: { temporaryPassword },
    }),
  );

/** 忘记退款密码, agent way: the terminal shows a challenge for the agent, who answers an unlock code. */
export const unlockChallenge = (terminalId: string) =>
  ok(api.POST('/api/v1/terminals/{id}/unlock-challenge', { params: { path: { id: terminalId } } }));

export const resetWithUnlockCode = (
  terminalId: string,
  body: { unlockCode: string; newPassword: string; confirmPassword: string },
) => ok(api.POST('/api/v1/terminals/{id}/refund-password/reset', { params: { path: { id: terminalId } }, body }));

/** 忘记退款密码, SMS / e-mail way: a one-time code to the merchant's registered contact. */
export const sendRecoveryCode = (merchantId: string, channel: 'sms' | 'email') =>
  ok(
    api.POST('/api/v1/merchants/{id}/refund-password/recovery', {
      params: { path: { id: merchantId } },
      body: { channel },
    }),
  );

export const verifyRecoveryCode = (
  merchantId: string,
  body: { code: string; newPassword: string; confirmPassword: string },
) =>
  ok(
    api.POST('/api/v1/merchants/{id}/refund-password/recovery/verify', { params: { path: { id: merchantId } }, body }),
  );
