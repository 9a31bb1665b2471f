import { dateTime, money } from '../format';
import { batchLines } from './SettleScreens';
import { type Ctx, prompt, type Screen, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 查询: the last transaction, one by 参考号, and 退款进度查询. */

/** The last transaction, or one by its 参考号, in four lines. */
async function query(ctx: Ctx, reference?: string): Promise<void> {
  const { t } = ctx;
  ctx.go({ kind: 'processing' });
  try {
    const p = reference ? await pos.findPayment(reference) : (await pos.recentPayments(1)).data[0];
    const lines = p
      ? [
          reference ? t('terminal.menu.query') : t('terminal.queryLast'),
          `${t('terminal.reference')} ${p.reference}`,
          `${money(p.amount, p.currency)} ${t(`terminal.paymentStatuses.${p.status}`)}`,
          dateTime(p.createdAt),
        ]
      : [reference ? t('terminal.paymentNotFound') : t('terminal.queryNone')];
    ctx.go({ kind: 'message', tone: p ? 'ok' : 'error', lines, next: { kind: 'query' } });
  } catch (e) {
    ctx.fail(e, { kind: 'query' });
  }
}

/** 汇总: the open batch's totals so far. */
async function summary(ctx: Ctx): Promise<void> {
  if (!ctx.terminal) return;
  ctx.go({ kind: 'processing' });
  try {
    const b = await pos.openBatch(ctx.terminal.id);
    ctx.go({
      kind: 'message',
      tone: 'ok',
      lines: [ctx.t('terminal.querySummary'), ...batchLines(ctx, b)],
      next: { kind: 'query' },
    });
  } catch (e) {
    ctx.fail(e, { kind: 'query' });
  }
}

/** The newest refund of a sale found by 参考号, and its last steps, in a few lines. */
async function refundProgress(ctx: Ctx, reference: string): Promise<void> {
  const { t } = ctx;
  ctx.go({ kind: 'processing' });
  const next: Screen = { kind: 'query' };
  try {
    const payment = await pos.findPaymentByReference(reference);
    const [r] = payment ? (await pos.refundsOf(payment.id)).data : [];
    const lines = r
      ? [
          t('terminal.queryRefunds'),
          `${money(r.amount, r.currency)} ${t(`terminal.statuses.${r.status}`)}`,
          ...r.timeline.slice(-2).map((e) => `${dateTime(e.at)} ${t(`terminal.statuses.${e.to}`, e.to)}`),
        ]
      : [payment ? t('terminal.noRefunds') : t('terminal.paymentNotFound')];
    ctx.go({ kind: 'message', tone: r ? 'ok' : 'error', lines, next });
  } catch (e) {
    ctx.fail(e, next);
  }
}

export const queryScreens: Screens<'query' | 'queryReference'> = {
  query: {
    render: (_s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.queryTitle')}</h1>
        <ol className="menu menu-single">
          <li>1 {t('terminal.queryLast')}</li>
          <li>2 {t('terminal.queryByReference')}</li>
          <li>3 {t('terminal.queryRefunds')}</li>
          <li>4 {t('terminal.querySummary')}</li>
        </ol>
      </>
    ),
    press: (_s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === '1') return void query(ctx);
      if (key === '4') return void summary(ctx);
      if (key === '2' || key === '3') return ctx.go({ kind: 'queryReference', digits: '', refunds: key === '3' });
    },
  },
  queryReference: {
    render: (s, { t }) =>
      prompt(
        s.refunds ? t('terminal.queryRefunds') : t('terminal.queryTitle'),
        s.digits || '\u00a0',
        t(s.refunds ? 'terminal.originalReferencePrompt' : 'terminal.voucherOrReferencePrompt'),
      ),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'query' });
      if (key === 'enter' && s.digits.length === 12 && s.refunds) return void refundProgress(ctx, s.digits);
      if (key === 'enter' && !s.refunds && (s.digits.length === 12 || (s.digits.length <= 6 && Number(s.digits) > 0)))
        return void query(ctx, s.digits);
      ctx.go({ ...s, digits: typed(s.digits, key, 12) });
    },
  },
};
