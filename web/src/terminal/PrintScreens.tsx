import { type Ctx, prompt, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 打印: reprint the last slip, one by 凭证号, or the last settlement slip, each stamped 重打印凭证. */

function reprinted(ctx: Ctx) {
  ctx.go({ kind: 'message', tone: 'ok', lines: [ctx.t('terminal.reprint')], next: ctx.home() });
}

function none(ctx: Ctx, next = ctx.home()) {
  ctx.go({ kind: 'message', tone: 'error', lines: [ctx.t('terminal.printNone')], next });
}

/** The last transaction's slip: the one this browser printed, else the terminal's newest payment's. */
async function reprintLast(ctx: Ctx): Promise<void> {
  if (ctx.lastSlip) {
    ctx.setSlip({ ...ctx.lastSlip, reprint: true });
    return reprinted(ctx);
  }
  ctx.go({ kind: 'processing' });
  try {
    const [last] = (await pos.recentPayments(1)).data;
    if (!last) return none(ctx);
    const receipt = await pos.paymentReceipt(last.id);
    ctx.setSlip({ lines: receipt.merchantCopy, copy: 'merchant', reprint: true });
    reprinted(ctx);
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

async function reprintVoucher(ctx: Ctx, voucher: number): Promise<void> {
  ctx.go({ kind: 'processing' });
  try {
    const payment = await pos.findPaymentByVoucher(voucher);
    if (!payment) {
      return ctx.go({
        kind: 'message',
        tone: 'error',
        lines: [ctx.t('terminal.voucherNotFound')],
        next: { kind: 'printVoucher', digits: '' },
      });
    }
    const receipt = await pos.paymentReceipt(payment.id);
    ctx.setSlip({ lines: receipt.merchantCopy, copy: 'merchant', reprint: true });
    reprinted(ctx);
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

export const printScreens: Screens<'printMenu' | 'printVoucher'> = {
  printMenu: {
    render: (_s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.printTitle')}</h1>
        <ol className="menu menu-single">
          <li>1 {t('terminal.printLast')}</li>
          <li>2 {t('terminal.printByVoucher')}</li>
          <li>3 {t('terminal.printSettlement')}</li>
        </ol>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === '1') return void reprintLast(ctx);
      if (key === '2') return ctx.go({ kind: 'printVoucher', digits: '' });
      if (key === '3') {
        if (!ctx.lastSettlement) return none(ctx, { kind: 'printMenu' });
        ctx.setSlip({ ...ctx.lastSettlement, reprint: true });
        return reprinted(ctx);
      }
    },
  },
  printVoucher: {
    render: (s, { t }) => prompt(t('terminal.printByVoucher'), s.digits || '\u00a0', t('terminal.voucherPrompt')),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'printMenu' });
      if (key === 'enter' && Number(s.digits) > 0) return void reprintVoucher(ctx, Number(s.digits));
      ctx.go({ ...s, digits: typed(s.digits, key, 6) });
    },
  },
};
