import { money } from '../format';
import { signOff } from './SignOnScreens';
import type { Ctx, Screens } from './screen';
import * as pos from './terminal-api';

/** 结算: confirm, close the open batch, print the settlement slip, sign off. */

async function settle(ctx: Ctx): Promise<void> {
  const { t, terminal } = ctx;
  if (!terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const b = await pos.settle(terminal.id);
    const slip = await pos.settlementReceipt(terminal.id, b.batchNo);
    ctx.setSlip({ lines: slip.merchantCopy, copy: 'settlement' });
    await signOff(ctx, [t('terminal.settleDone')]);
    ctx.refreshBatch();
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

/** The open batch's totals in the screen's lines: 批次号, sales, voids, refunds, net. */
export function batchLines(ctx: Ctx, b: pos.OpenBatch): string[] {
  const { t } = ctx;
  const row = (label: string, c: { count: number; amount: number }) =>
    `${label} ${t('terminal.settleCount', { count: c.count })} ${money(c.amount, b.currency)}`;
  return [
    `${t('slip.batch')} ${String(b.batchNo).padStart(6, '0')}`,
    row(t('terminal.settleSales'), b.sales),
    row(t('terminal.settleVoids'), b.voids),
    row(t('terminal.settleRefunds'), b.refunds),
    `${t('slip.net')} ${money(b.net, b.currency)}`,
  ];
}

/** 结算 starts with the open batch's totals, to be confirmed. */
export async function startSettlement(ctx: Ctx): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    ctx.go({ kind: 'settleConfirm', summary: await pos.openBatch(ctx.terminal.id) });
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

export const settleScreens: Screens<'settleConfirm'> = {
  settleConfirm: {
    render: (s, ctx) => (
      <>
        <h1 className="screen-title">{ctx.t('terminal.settleTitle')}</h1>
        {batchLines(ctx, s.summary).map((line) => (
          <p key={line}>{line}</p>
        ))}
        <p className="screen-hint">{ctx.t('terminal.settleConfirm')}</p>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === 'enter') void settle(ctx);
    },
  },
};
