import { ApiError } from '../api/client';
import { type Ctx, prompt, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 打印: reprint the last slip, one by 凭证号, or the last settlement slip, each stamped 重打印凭证. */

function reprinted(ctx: Ctx) {
  ctx.go({ kind: 'message', tone: 'ok', lines: [ctx.t('terminal.reprint')], next: ctx.home() });
}

function none(ctx: Ctx, next = ctx.home()) {
  ctx.go({ kind: 'message', tone: 'error', lines: [ctx.t('terminal.printNone')], next });
}

/** Puts a server-built slip (the merchant copy) in the printer slot, stamped 重打印凭证. */
function reprint(ctx: Ctx, receipt: pos.Receipt) {
  ctx.setSlip({
    lines: receipt.merchantCopy,
    copy: receipt.kind === 'settlement' ? 'settlement' : 'merchant',
    reprint: true,
  });
  reprinted(ctx);
}

/** The terminal's last transaction (its journal's newest entry), whichever browser made it. */
async function reprintLast(ctx: Ctx): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const [last] = (await pos.journal(ctx.terminal.id, { limit: 1 })).data;
    if (!last) return none(ctx);
    reprint(ctx, await pos.entryReceipt(last));
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

/** The transaction with that 凭证号: a sale's, a void's or a refund's own slip. */
async function reprintVoucher(ctx: Ctx, voucher: number): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const [entry] = (await pos.journal(ctx.terminal.id, { voucher, limit: 1 })).data;
    if (!entry) {
      return ctx.go({
        kind: 'message',
        tone: 'error',
        lines: [ctx.t('terminal.voucherNotFound')],
        next: { kind: 'printVoucher', digits: '' },
      });
    }
    reprint(ctx, await pos.entryReceipt(entry));
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

/** The last settlement slip (结算总计单), from the server: it outlives the browser that settled. */
async function reprintSettlement(ctx: Ctx): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    reprint(ctx, await pos.settlementReceipt(ctx.terminal.id));
  } catch (e) {
    if (e instanceof ApiError && e.problem.status === 404) return none(ctx, { kind: 'printMenu' });
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
      if (key === '3') return void reprintSettlement(ctx);
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
