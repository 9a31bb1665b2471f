import { dateTime, money } from '../format';
import { signOff } from './SignOnScreens';
import type { SlipData } from './Slip';
import { type Ctx, prompt, type Screens } from './screen';
import * as pos from './terminal-api';

/** 结算: confirm, close the open batch, print the settlement slip, sign off. */

async function settle(ctx: Ctx): Promise<void> {
  const { t, terminal } = ctx;
  if (!terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const b = await pos.settle(terminal.id);
    const row = (label: string, c: { count: number; amount: number }) =>
      `${label} ${t('terminal.settleCount', { count: c.count })} ${money(c.amount, b.currency)}`;
    const settlement: SlipData = {
      copy: 'settlement',
      lines: [
        `${t('status.merchant')} ${terminal.merchantName}`,
        `${t('status.terminal')} ${terminal.serial}`,
        `${t('slip.batch')} ${String(b.batchNo).padStart(6, '0')}`,
        row(t('terminal.settleSales'), b.sales),
        row(t('terminal.settleVoids'), b.voids),
        `${t('slip.net')} ${money(b.net, b.currency)}`,
        dateTime(b.settledAt),
      ],
    };
    ctx.setSlip(settlement);
    ctx.setLastSlip(settlement);
    await signOff(ctx, [t('terminal.settleDone')]);
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

export const settleScreens: Screens<'settleConfirm'> = {
  settleConfirm: {
    render: (_s, { t }) => prompt(t('terminal.settleTitle'), '', t('terminal.settleConfirm')),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === 'enter') void settle(ctx);
    },
  },
};
