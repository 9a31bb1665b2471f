import { ApiError } from '../api/client';
import { money } from '../format';
import { type Ctx, type Flow, mask, prompt, type ScreenOf, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 撤销 and 退货: the refund password, the original transaction, then the void or the refund. */

const voucher6 = (n: number) => String(n).padStart(6, '0');

async function findOriginal(ctx: Ctx, s: ScreenOf<'reference'>): Promise<void> {
  ctx.go({ kind: 'processing' });
  try {
    const payment = s.flow === 'void' ? await pos.findPayment(s.digits) : await pos.findPaymentByReference(s.digits);
    if (!payment) {
      ctx.go({
        kind: 'message',
        tone: 'error',
        lines: [ctx.t('terminal.paymentNotFound')],
        next: { ...s, digits: '' },
      });
    } else if (s.flow === 'refund') {
      ctx.go({ kind: 'refundAmount', password: s.password, payment, digits: '' });
    } else {
      ctx.go({ kind: 'voidConfirm', password: s.password, payment });
    }
  } catch (e) {
    ctx.fail(e, { ...s, digits: '' });
  }
}

async function startReference(ctx: Ctx, flow: Flow, password: string): Promise<void> {
  const base: ScreenOf<'reference'> = { kind: 'reference', flow, password, digits: '', choices: [], cursor: -1 };
  if (flow === 'refund') return ctx.go(base);
  ctx.go({ kind: 'processing' });
  try {
    // Only the open batch's sales can be voided: offer those still approved, by their 凭证号.
    const terminal = ctx.terminal;
    const batch = terminal ? await pos.openBatch(terminal.id) : undefined;
    if (!terminal || !batch?.batchId) return ctx.go(base);
    const [payments, sales] = await Promise.all([
      pos.batchPayments(batch.batchNo),
      pos.journal(terminal.id, { batch: batch.batchNo, kind: 'sale' }),
    ]);
    const voucherOf = new Map(sales.data.map((e) => [e.paymentId, e.voucherNo]));
    const choices = payments.data.flatMap((payment) => {
      const voucherNo = voucherOf.get(payment.id);
      return payment.status === 'approved' && voucherNo !== undefined ? [{ payment, voucherNo }] : [];
    });
    ctx.go({ ...base, choices: choices.slice(0, 6) });
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

async function refund(ctx: Ctx, s: ScreenOf<'refundAmount'>): Promise<void> {
  const { t } = ctx;
  ctx.go({ kind: 'processing' });
  try {
    const r = await pos.refund(s.payment.id, Number(s.digits), s.password);
    ctx.print(await pos.refundReceipt(r.id), [
      t('terminal.refundAccepted'),
      `${t('terminal.refundState')} ${t(`terminal.statuses.${r.status}`)}`,
      `${t('terminal.amount')} ${money(r.amount, r.currency)}`,
    ]);
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

async function voidIt(ctx: Ctx, s: ScreenOf<'voidConfirm'>): Promise<void> {
  const { t } = ctx;
  ctx.go({ kind: 'processing' });
  try {
    const p = await pos.voidPayment(s.payment.id, s.password);
    ctx.print(await pos.paymentReceipt(p.id), [t('terminal.voidDone'), `${t('terminal.reference')} ${p.reference}`]);
  } catch (e) {
    // The server says only "no longer voidable"; an approved sale without refunds is so because
    // its batch is settled, which a terminal words as 已结算, 请做退货.
    const p = s.payment;
    const settled =
      e instanceof ApiError &&
      e.problem.code === 'payment_not_voidable' &&
      p.status === 'approved' &&
      p.refundedAmount + p.pendingRefundAmount === 0;
    if (settled) ctx.go({ kind: 'message', tone: 'error', lines: [t('terminal.voidSettled')], next: ctx.home() });
    else ctx.fail(e, ctx.home());
  }
}

export const voidRefundScreens: Screens<'refundPassword' | 'reference' | 'refundAmount' | 'voidConfirm'> = {
  refundPassword: {
    render: (s, { t }) => prompt(t(`terminal.menu.${s.flow}`), mask(s.digits), t('terminal.refundPasswordPrompt')),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === 'enter' && s.digits) return void startReference(ctx, s.flow, s.digits);
      ctx.go({ ...s, digits: typed(s.digits, key, 12) });
    },
  },
  reference: {
    render: (s, { t }) => (
      <>
        <h1 className="screen-title">{t(`terminal.menu.${s.flow}`)}</h1>
        <p className="screen-hint">
          {t(s.flow === 'void' ? 'terminal.voucherOrReferencePrompt' : 'terminal.originalReferencePrompt')}
        </p>
        <output className="screen-value">{s.digits || '\u00a0'}</output>
        {s.choices.length > 0 && (
          <>
            <p className="screen-hint">{t('terminal.voidPickHint')}</p>
            <ol className="menu menu-single">
              {s.choices.map(({ payment: p, voucherNo }, i) => (
                <li key={p.id} className={i === s.cursor ? 'is-selected' : ''}>
                  {voucher6(voucherNo)} {money(p.amount, p.currency)}
                </li>
              ))}
            </ol>
          </>
        )}
      </>
    ),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'refundPassword', flow: s.flow, digits: '' });
      if ((key === 'up' || key === 'down') && s.choices.length > 0) {
        const n = s.choices.length;
        const cursor = s.cursor < 0 ? (key === 'up' ? n - 1 : 0) : (s.cursor + (key === 'up' ? -1 : 1) + n) % n;
        return ctx.go({ ...s, cursor, digits: voucher6(s.choices[cursor].voucherNo) });
      }
      const voucher = s.flow === 'void' && s.digits.length <= 6 && Number(s.digits) > 0;
      if (key === 'enter' && (s.digits.length === 12 || voucher)) return void findOriginal(ctx, s);
      ctx.go({ ...s, cursor: -1, digits: typed(s.digits, key, 12) });
    },
  },
  refundAmount: {
    render: (s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.menu.refund')}</h1>
        <p>
          {t('terminal.originalAmount')} {money(s.payment.amount, s.payment.currency)}
        </p>
        <p>
          {t('terminal.refundable')} {money(s.payment.refundableAmount, s.payment.currency)}
        </p>
        <output className="screen-value">{money(Number(s.digits || 0), s.payment.currency)}</output>
        <p className="screen-hint">{t('terminal.amountPrompt')}</p>
      </>
    ),
    press: (s, key, ctx) => {
      if (key === 'cancel')
        return ctx.go({ kind: 'reference', flow: 'refund', password: s.password, digits: '', choices: [], cursor: -1 });
      if (key === 'enter' && Number(s.digits) > 0) return void refund(ctx, s);
      ctx.go({ ...s, digits: typed(s.digits, key, 10).replace(/^0+/, '') });
    },
  },
  voidConfirm: {
    render: (s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.menu.void')}</h1>
        <p>
          {t('terminal.reference')} {s.payment.reference}
        </p>
        <output className="screen-value">{money(s.payment.amount, s.payment.currency)}</output>
        <p className="screen-hint">{t('terminal.voidConfirm')}</p>
      </>
    ),
    press: (s, key, ctx) => {
      if (key === 'cancel') return void startReference(ctx, 'void', s.password);
      if (key === 'enter') void voidIt(ctx, s);
    },
  },
};
