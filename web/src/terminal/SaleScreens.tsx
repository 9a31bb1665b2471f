import { money } from '../format';
import { isDigit } from './keys';
import { type Ctx, prompt, type Screens, typed } from './screen';
import * as pos from './terminal-api';

/** 消费: the amount from the right, a card, 处理中, then the slip, merchant copy then cardholder copy. */

/** The README's test cards, offered like a card reader would read them. */
export const CARDS = [
  { number: '4111111111111111', label: 'Visa 4111 **** 1111' },
  { number: '6212345678901232', label: 'UnionPay 6212 **** 1232' },
  { number: '4000000000000002', label: 'Visa 4000 **** 0002' },
];

async function sale(ctx: Ctx, amount: number, card: string): Promise<void> {
  const { t } = ctx;
  ctx.go({ kind: 'processing' });
  try {
    const p = await pos.sell(amount, card);
    if (p.status !== 'approved') {
      const why = p.declineCode ?? p.failureReason ?? p.status;
      ctx.go({ kind: 'message', tone: 'error', lines: [t('terminal.declined'), why], next: ctx.home() });
      return;
    }
    ctx.print(await pos.paymentReceipt(p.id), [
      t('terminal.success'),
      `${t('terminal.reference')} ${p.reference}`,
      `${t('terminal.amount')} ${money(p.amount, p.currency)}`,
    ]);
  } catch (e) {
    ctx.fail(e, ctx.home());
  }
}

export const saleScreens: Screens<'amount' | 'card' | 'cardNumber' | 'print'> = {
  amount: {
    render: (s, { t }) => prompt(t('terminal.menu.sale'), money(Number(s.digits || 0)), t('terminal.amountPrompt')),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go(ctx.home());
      if (key === 'enter' && Number(s.digits) > 0) return ctx.go({ kind: 'card', amount: Number(s.digits), cursor: 0 });
      ctx.go({ ...s, digits: typed(s.digits, key, 10).replace(/^0+/, '') });
    },
  },
  card: {
    render: (s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.cardPrompt')}</h1>
        <p className="screen-amount">{money(s.amount)}</p>
        <ol className="menu menu-single">
          {[...CARDS.map((c) => c.label), t('terminal.cardManual')].map((label, i) => (
            <li key={label} className={i === s.cursor ? 'is-selected' : ''}>
              {i + 1} {label}
            </li>
          ))}
        </ol>
        <p className="screen-hint">{t('terminal.cardHint')}</p>
      </>
    ),
    press: (s, key, ctx) => {
      const options = CARDS.length + 1;
      if (key === 'cancel') return ctx.go({ kind: 'amount', digits: String(s.amount) });
      if (key === 'up' || key === 'down') {
        return ctx.go({ ...s, cursor: (s.cursor + (key === 'up' ? -1 : 1) + options) % options });
      }
      const pick = key === 'enter' ? s.cursor : Number(key) - 1;
      if (!isDigit(key) && key !== 'enter') return;
      if (pick >= 0 && pick < CARDS.length) return void sale(ctx, s.amount, CARDS[pick].number);
      if (pick === CARDS.length) return ctx.go({ kind: 'cardNumber', amount: s.amount, digits: '' });
    },
  },
  cardNumber: {
    render: (s, { t }) => prompt(t('terminal.cardNumberPrompt'), s.digits || '\u00a0', money(s.amount)),
    press: (s, key, ctx) => {
      if (key === 'cancel') return ctx.go({ kind: 'card', amount: s.amount, cursor: CARDS.length });
      if (key === 'enter' && s.digits.length >= 12) return void sale(ctx, s.amount, s.digits);
      ctx.go({ ...s, digits: typed(s.digits, key, 19) });
    },
  },
  print: {
    render: (s, { t }) => (
      <div className="screen-message tone-ok">
        {s.headline.map((line) => (
          <p key={line}>{line}</p>
        ))}
        <p className="screen-hint">
          {s.copy === 'merchant' ? t('terminal.tearMerchant') : t('terminal.doneCardholder')}
        </p>
      </div>
    ),
    press: (s, key, ctx) => {
      if (key === 'enter' && s.copy === 'merchant') {
        ctx.setSlip({ lines: s.receipt.customerCopy, copy: 'cardholder' });
        return ctx.go({ ...s, copy: 'cardholder' });
      }
      if (key === 'enter' || key === 'cancel') ctx.go(ctx.home());
    },
  },
};
