import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, SessionEnded, session } from '../api/client';
import { dateTime, money } from '../format';
import { LanguageSwitch } from '../LanguageSwitch';
import { Activate } from './Activate';
import { Keypad } from './Keypad';
import { isDigit, type Key, keyOf } from './keys';
import { Reinitialize } from './Reinitialize';
import { refundPasswordIsSet } from './reinit-api';
import { Slip, type SlipData } from './Slip';
import { StatusBar } from './StatusBar';
import type { ScreenKeys } from './screen-keys';
import type { BoundTerminal, Payment, Receipt } from './terminal-api';
import * as pos from './terminal-api';
import './terminal.css';

/** The serial is not a secret: the browser remembers which terminal it is. */
const SERIAL_KEY = 'refunddesk.terminal';
const IDLE_MS = 60_000;

/** The README's test cards, offered like a card reader would read them. */
const CARDS = [
  { number: '4111111111111111', label: 'Visa 4111 **** 1111' },
  { number: '6212345678901232', label: 'UnionPay 6212 **** 1232' },
  { number: '4000000000000002', label: 'Visa 4000 **** 0002' },
];

type Flow = 'refund' | 'void';
type Screen =
  | { kind: 'loading' }
  | { kind: 'bind'; error?: string }
  | { kind: 'welcome' }
  | { kind: 'operator'; digits: string }
  | { kind: 'password'; operator: string; digits: string }
  | { kind: 'message'; lines: string[]; tone: 'ok' | 'error'; next: Screen }
  | { kind: 'processing' }
  | { kind: 'menu'; cursor: number }
  | { kind: 'amount'; digits: string }
  | { kind: 'card'; amount: number; cursor: number }
  | { kind: 'cardNumber'; amount: number; digits: string }
  | { kind: 'print'; headline: string[]; receipt: Receipt; copy: 'merchant' | 'cardholder' }
  | { kind: 'refundPassword'; flow: Flow; digits: string }
  | { kind: 'reference'; flow: Flow; password: string; digits: string; choices: Payment[]; cursor: number }
  | { kind: 'refundAmount'; password: string; payment: Payment; digits: string }
  | { kind: 'voidConfirm'; password: string; payment: Payment }
  | { kind: 'settleConfirm' }
  | { kind: 'query' }
  | { kind: 'queryReference'; digits: string; refunds: boolean }
  | { kind: 'manage' }
  | { kind: 'changePassword'; step: 0 | 1 | 2; values: string[]; digits: string }
  | { kind: 'ownPassword'; current: string; step: 0 | 1; values: string[]; digits: string }
  | { kind: 'reinit' }
  | { kind: 'activate'; current: string | null };

interface Operator {
  code: string;
  role: string;
  merchantId: string;
}

const MENU = ['sale', 'void', 'refund', 'query', 'settle', 'print', 'manage', 'signOff'] as const;

/** Digits typed into a field of at most `max` characters; 清除 takes the last one back. */
function typed(digits: string, key: Key, max: number): string {
  if (key === 'clear') return digits.slice(0, -1);
  if (!isDigit(key)) return digits;
  return (digits + key).slice(0, max);
}

function serialFromUrl(): string | undefined {
  const m = /^\/terminal\/([A-Za-z0-9-]{1,32})\/?$/.exec(window.location.pathname);
  return m?.[1];
}

export default function Terminal() {
  const { t } = useTranslation();
  const [terminal, setTerminal] = useState<BoundTerminal>();
  const [operator, setOperator] = useState<Operator>();
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });
  const [serialText, setSerialText] = useState('');
  const [slip, setSlip] = useState<SlipData>();
  const [lastSlip, setLastSlip] = useState<SlipData>();
  const [online, setOnline] = useState(() => navigator.onLine);
  const screenKeys: ScreenKeys = useRef(undefined);
  const home = useCallback((): Screen => (session.active ? { kind: 'menu', cursor: 0 } : { kind: 'welcome' }), []);

  const failure = useCallback(
    (e: unknown): string[] => {
      if (e instanceof ApiError) {
        const { title, unlockAt, attemptsLeft } = e.problem;
        if (unlockAt) return [title, t('terminal.lockedUntil', { time: dateTime(unlockAt) })];
        if (typeof attemptsLeft === 'number') return [title, t('terminal.attemptsLeft', { count: attemptsLeft })];
        return [title];
      }
      setOnline(false);
      return [t('app.offline')];
    },
    [t],
  );
  const fail = (e: unknown, next: Screen) => {
    if (!(e instanceof SessionEnded)) setScreen({ kind: 'message', tone: 'error', lines: failure(e), next });
  };

  const bind = useCallback(
    async (serial: string) => {
      setScreen({ kind: 'processing' });
      try {
        const found = await pos.findTerminal(serial.trim());
        localStorage.setItem(SERIAL_KEY, found.serial);
        setTerminal(found);
        setOnline(true);
        setScreen({ kind: 'welcome' });
      } catch (e) {
        const notFound = e instanceof ApiError && (e.problem.status === 404 || e.problem.status === 400);
        setScreen({ kind: 'bind', error: notFound ? t('terminal.bindNotFound') : failure(e).join(' ') });
      }
    },
    [t, failure],
  );

  useEffect(() => {
    const serial = serialFromUrl() ?? localStorage.getItem(SERIAL_KEY);
    if (serial) void bind(serial);
    else setScreen({ kind: 'bind' });
  }, [bind]);

  useEffect(() => {
    session.onEnded(() => {
      setOperator(undefined);
      setScreen({
        kind: 'message',
        tone: 'error',
        lines: [t('terminal.sessionEnded')],
        next: { kind: 'operator', digits: '' },
      });
    });
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, [t]);

  // A screen left alone for 60 s goes back to idle (the menu, or the welcome screen when signed off).
  useEffect(() => {
    if (['loading', 'bind', 'processing', 'welcome'].includes(screen.kind)) return;
    if (screen.kind === 'menu') return;
    const timer = setTimeout(() => setScreen(home()), IDLE_MS);
    return () => clearTimeout(timer);
  }, [screen, home]);

  const print = (receipt: Receipt, headline: string[]) => {
    setSlip({ lines: receipt.merchantCopy, copy: 'merchant' });
    setLastSlip({ lines: receipt.customerCopy, copy: 'cardholder' });
    setScreen({ kind: 'print', headline, receipt, copy: 'merchant' });
  };

  const signOn = async (code: string, password: string) => {
    if (!terminal) return;
    setScreen({ kind: 'processing' });
    try {
      const r = await pos.signOn(terminal.id, code, password);
      session.start(r.token);
      setOperator({ code, role: r.role, merchantId: r.actor.merchantId ?? '' });
      // A supervisor reset this password: the session may only change it, with the one just typed.
      // 00 after a re-initialisation (its activation code) or without a refund password: activation.
      if (r.mustChangePassword && code === '00') setScreen({ kind: 'activate', current: password });
      else if (r.mustChangePassword)
        setScreen({ kind: 'ownPassword', current: password, step: 0, values: [], digits: '' });
      else if (code === '00' && !(await refundPasswordIsSet(r.actor.merchantId ?? '')))
        setScreen({ kind: 'activate', current: null });
      else setScreen({ kind: 'menu', cursor: 0 });
    } catch (e) {
      fail(e, { kind: 'operator', digits: '' });
    }
  };

  const signOff = async (lines: string[]) => {
    try {
      await pos.signOff();
    } catch {
      // A session the server already ended is signed off all the same.
    }
    session.end();
    setOperator(undefined);
    setScreen({ kind: 'message', tone: 'ok', lines, next: { kind: 'welcome' } });
  };

  const sale = async (amount: number, card: string) => {
    setScreen({ kind: 'processing' });
    try {
      const p = await pos.sell(amount, card);
      if (p.status !== 'approved') {
        const why = p.declineCode ?? p.failureReason ?? p.status;
        setScreen({ kind: 'message', tone: 'error', lines: [t('terminal.declined'), why], next: home() });
        return;
      }
      print(await pos.paymentReceipt(p.id), [
        t('terminal.success'),
        `${t('terminal.reference')} ${p.reference}`,
        `${t('terminal.amount')} ${money(p.amount, p.currency)}`,
      ]);
    } catch (e) {
      fail(e, home());
    }
  };

  const findOriginal = async (s: Extract<Screen, { kind: 'reference' }>) => {
    setScreen({ kind: 'processing' });
    try {
      const payment = await pos.findPaymentByReference(s.digits);
      if (!payment) {
        setScreen({
          kind: 'message',
          tone: 'error',
          lines: [t('terminal.paymentNotFound')],
          next: { ...s, digits: '' },
        });
      } else if (s.flow === 'refund') {
        setScreen({ kind: 'refundAmount', password: s.password, payment, digits: '' });
      } else {
        setScreen({ kind: 'voidConfirm', password: s.password, payment });
      }
    } catch (e) {
      fail(e, { ...s, digits: '' });
    }
  };

  const startReference = async (flow: Flow, password: string) => {
    const base: Extract<Screen, { kind: 'reference' }> = {
      kind: 'reference',
      flow,
      password,
      digits: '',
      choices: [],
      cursor: -1,
    };
    if (flow === 'refund') return setScreen(base);
    setScreen({ kind: 'processing' });
    try {
      const page = await pos.recentPayments(20);
      setScreen({ ...base, choices: page.data.filter((p) => p.status === 'approved').slice(0, 6) });
    } catch (e) {
      fail(e, home());
    }
  };

  const refund = async (s: Extract<Screen, { kind: 'refundAmount' }>) => {
    setScreen({ kind: 'processing' });
    try {
      const r = await pos.refund(s.payment.id, Number(s.digits), s.password);
      print(await pos.refundReceipt(r.id), [
        t('terminal.refundAccepted'),
        `${t('terminal.refundState')} ${t(`terminal.statuses.${r.status}`)}`,
        `${t('terminal.amount')} ${money(r.amount, r.currency)}`,
      ]);
    } catch (e) {
      fail(e, home());
    }
  };

  const voidIt = async (s: Extract<Screen, { kind: 'voidConfirm' }>) => {
    setScreen({ kind: 'processing' });
    try {
      const p = await pos.voidPayment(s.payment.id, s.password);
      print(await pos.paymentReceipt(p.id), [t('terminal.voidDone'), `${t('terminal.reference')} ${p.reference}`]);
    } catch (e) {
      // The server says only "no longer voidable"; an approved sale without refunds is so because
      // its batch is settled, which a terminal words as 已结算, 请做退货.
      const p = s.payment;
      const settled =
        e instanceof ApiError &&
        e.problem.code === 'payment_not_voidable' &&
        p.status === 'approved' &&
        p.refundedAmount + p.pendingRefundAmount === 0;
      if (settled) setScreen({ kind: 'message', tone: 'error', lines: [t('terminal.voidSettled')], next: home() });
      else fail(e, home());
    }
  };

  const settle = async () => {
    if (!terminal) return;
    setScreen({ kind: 'processing' });
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
      setSlip(settlement);
      setLastSlip(settlement);
      await signOff([t('terminal.settleDone')]);
    } catch (e) {
      fail(e, home());
    }
  };

  /** 查询: the last transaction, or one by its 参考号, in four lines. */
  const query = async (reference?: string) => {
    setScreen({ kind: 'processing' });
    try {
      const p = reference ? await pos.findPaymentByReference(reference) : (await pos.recentPayments(1)).data[0];
      const lines = p
        ? [
            reference ? t('terminal.menu.query') : t('terminal.queryLast'),
            `${t('terminal.reference')} ${p.reference}`,
            `${money(p.amount, p.currency)} ${t(`terminal.paymentStatuses.${p.status}`)}`,
            dateTime(p.createdAt),
          ]
        : [reference ? t('terminal.paymentNotFound') : t('terminal.queryNone')];
      setScreen({ kind: 'message', tone: p ? 'ok' : 'error', lines, next: { kind: 'query' } });
    } catch (e) {
      fail(e, { kind: 'query' });
    }
  };

  /** 退款进度查询: the newest refund of a sale found by 参考号, and its last steps, in a few lines. */
  const refundProgress = async (reference: string) => {
    setScreen({ kind: 'processing' });
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
      setScreen({ kind: 'message', tone: r ? 'ok' : 'error', lines, next });
    } catch (e) {
      fail(e, next);
    }
  };

  const changePassword = async (values: string[]) => {
    if (!operator) return;
    setScreen({ kind: 'processing' });
    try {
      const [currentPassword, newPassword, confirmPassword] = values;
      await pos.changeRefundPassword(operator.merchantId, { currentPassword, newPassword, confirmPassword });
      // Every session of the merchant has ended: sign on again, as the article says.
      session.end();
      setOperator(undefined);
      setScreen({
        kind: 'message',
        tone: 'ok',
        lines: [t('terminal.passwordChanged')],
        next: { kind: 'operator', digits: '' },
      });
    } catch (e) {
      fail(e, { kind: 'changePassword', step: 0, values: [], digits: '' });
    }
  };

  const changeOwnPassword = async (current: string, values: string[]) => {
    setScreen({ kind: 'processing' });
    const again: Screen = { kind: 'operator', digits: '' };
    try {
      await pos.changeOwnPassword({ currentPassword: current, newPassword: values[0], confirmPassword: values[1] });
      setScreen({ kind: 'message', tone: 'ok', lines: [t('terminal.ownPasswordChanged')], next: again });
    } catch (e) {
      setScreen({ kind: 'message', tone: 'error', lines: failure(e), next: again });
    }
    session.end();
    setOperator(undefined);
  };

  const choose = (item: (typeof MENU)[number]) => {
    switch (item) {
      case 'sale':
        return setScreen({ kind: 'amount', digits: '' });
      case 'void':
      case 'refund':
        return setScreen({ kind: 'refundPassword', flow: item, digits: '' });
      case 'query':
        return setScreen({ kind: 'query' });
      case 'settle':
        return setScreen({ kind: 'settleConfirm' });
      case 'print':
        if (!lastSlip)
          return setScreen({ kind: 'message', tone: 'error', lines: [t('terminal.printNone')], next: home() });
        setSlip({ ...lastSlip, reprint: true });
        return setScreen({ kind: 'message', tone: 'ok', lines: [t('terminal.reprint')], next: home() });
      case 'manage':
        if (operator?.role !== 'supervisor')
          return setScreen({
            kind: 'message',
            tone: 'error',
            lines: [t('terminal.manageSupervisorOnly')],
            next: home(),
          });
        return setScreen({ kind: 'manage' });
      case 'signOff':
        return void signOff([t('terminal.signedOff')]);
    }
  };

  const press = (key: Key) => {
    const s = screen;
    switch (s.kind) {
      case 'bind':
        if (key === 'enter') void bind(serialText);
        else if (key === 'clear') setSerialText((v) => v.slice(0, -1));
        else if (isDigit(key)) setSerialText((v) => (v + key).slice(0, 32));
        return;
      case 'welcome':
        if (key === 'enter' || key === 'fn') setScreen({ kind: 'operator', digits: '' });
        return;
      case 'operator':
        if (key === 'cancel') return setScreen({ kind: 'welcome' });
        if (key === 'enter' && s.digits.length === 2)
          return setScreen({ kind: 'password', operator: s.digits, digits: '' });
        return setScreen({ ...s, digits: typed(s.digits, key, 2) });
      case 'password':
        if (key === 'cancel') return setScreen({ kind: 'operator', digits: s.operator });
        if (key === 'enter' && s.digits) return void signOn(s.operator, s.digits);
        return setScreen({ ...s, digits: typed(s.digits, key, 12) });
      case 'message':
        if (key === 'enter' || key === 'cancel') setScreen(s.next);
        return;
      case 'menu': {
        const n = Number(key);
        if (key !== '0' && key !== '00' && n >= 1 && n <= MENU.length) return choose(MENU[n - 1]);
        if (key === 'up' || key === 'down') {
          const step = key === 'up' ? -1 : 1;
          return setScreen({ kind: 'menu', cursor: (s.cursor + step + MENU.length) % MENU.length });
        }
        if (key === 'enter') return choose(MENU[s.cursor]);
        return;
      }
      case 'amount':
        if (key === 'cancel') return setScreen(home());
        if (key === 'enter' && Number(s.digits) > 0)
          return setScreen({ kind: 'card', amount: Number(s.digits), cursor: 0 });
        return setScreen({ ...s, digits: typed(s.digits, key, 10).replace(/^0+/, '') });
      case 'card': {
        const options = CARDS.length + 1;
        if (key === 'cancel') return setScreen({ kind: 'amount', digits: String(s.amount) });
        if (key === 'up' || key === 'down') {
          return setScreen({ ...s, cursor: (s.cursor + (key === 'up' ? -1 : 1) + options) % options });
        }
        const pick = key === 'enter' ? s.cursor : Number(key) - 1;
        if (!isDigit(key) && key !== 'enter') return;
        if (pick >= 0 && pick < CARDS.length) return void sale(s.amount, CARDS[pick].number);
        if (pick === CARDS.length) return setScreen({ kind: 'cardNumber', amount: s.amount, digits: '' });
        return;
      }
      case 'cardNumber':
        if (key === 'cancel') return setScreen({ kind: 'card', amount: s.amount, cursor: CARDS.length });
        if (key === 'enter' && s.digits.length >= 12) return void sale(s.amount, s.digits);
        return setScreen({ ...s, digits: typed(s.digits, key, 19) });
      case 'print':
        if (key === 'enter' && s.copy === 'merchant') {
          setSlip({ lines: s.receipt.customerCopy, copy: 'cardholder' });
          return setScreen({ ...s, copy: 'cardholder' });
        }
        if (key === 'enter' || key === 'cancel') setScreen(home());
        return;
      case 'refundPassword':
        if (key === 'cancel') return setScreen(home());
        if (key === 'enter' && s.digits) return void startReference(s.flow, s.digits);
        return setScreen({ ...s, digits: typed(s.digits, key, 12) });
      case 'reference':
        if (key === 'cancel') return setScreen({ kind: 'refundPassword', flow: s.flow, digits: '' });
        if ((key === 'up' || key === 'down') && s.choices.length > 0) {
          const n = s.choices.length;
          const cursor = s.cursor < 0 ? (key === 'up' ? n - 1 : 0) : (s.cursor + (key === 'up' ? -1 : 1) + n) % n;
          return setScreen({ ...s, cursor, digits: s.choices[cursor].reference });
        }
        if (key === 'enter' && s.digits.length === 12) return void findOriginal(s);
        return setScreen({ ...s, cursor: -1, digits: typed(s.digits, key, 12) });
      case 'refundAmount':
        if (key === 'cancel')
          return setScreen({
            kind: 'reference',
            flow: 'refund',
            password: s.password,
            digits: '',
            choices: [],
            cursor: -1,
          });
        if (key === 'enter' && Number(s.digits) > 0) return void refund(s);
        return setScreen({ ...s, digits: typed(s.digits, key, 10).replace(/^0+/, '') });
      case 'voidConfirm':
        if (key === 'cancel') return void startReference('void', s.password);
        if (key === 'enter') void voidIt(s);
        return;
      case 'query':
        if (key === 'cancel') return setScreen(home());
        if (key === '1') return void query();
        if (key === '2' || key === '3') return setScreen({ kind: 'queryReference', digits: '', refunds: key === '3' });
        return;
      case 'queryReference':
        if (key === 'cancel') return setScreen({ kind: 'query' });
        if (key === 'enter' && s.digits.length === 12)
          return void (s.refunds ? refundProgress(s.digits) : query(s.digits));
        return setScreen({ ...s, digits: typed(s.digits, key, 12) });
      case 'settleConfirm':
        if (key === 'cancel') return setScreen(home());
        if (key === 'enter') void settle();
        return;
      case 'manage':
        if (key === 'cancel') return setScreen(home());
        if (key === '1' || key === 'enter') setScreen({ kind: 'changePassword', step: 0, values: [], digits: '' });
        if (key === '2') setScreen({ kind: 'reinit' });
        return;
      case 'reinit':
      case 'activate':
        return screenKeys.current?.(key);
      case 'changePassword': {
        if (key === 'cancel') {
          if (s.step === 0) return setScreen({ kind: 'manage' });
          return setScreen({
            kind: 'changePassword',
            step: (s.step - 1) as 0 | 1,
            values: s.values.slice(0, -1),
            digits: '',
          });
        }
        if (key === 'enter' && s.digits) {
          const values = [...s.values, s.digits];
          if (s.step === 2) return void changePassword(values);
          return setScreen({ kind: 'changePassword', step: (s.step + 1) as 1 | 2, values, digits: '' });
        }
        return setScreen({ ...s, digits: typed(s.digits, key, 12) });
      }
      case 'ownPassword': {
        if (key === 'cancel') {
          if (s.step === 1) return setScreen({ ...s, step: 0, values: [], digits: '' });
          return void signOff([t('terminal.signedOff')]);
        }
        if (key === 'enter' && s.digits) {
          if (s.step === 1) return void changeOwnPassword(s.current, [...s.values, s.digits]);
          return setScreen({ ...s, step: 1, values: [s.digits], digits: '' });
        }
        return setScreen({ ...s, digits: typed(s.digits, key, 12) });
      }
      default:
        return;
    }
  };

  const pressRef = useRef(press);
  pressRef.current = press;
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement | null)?.tagName;
      // The serial field types its own characters; a focused button (language, slip) keeps Enter
      // and Space for itself, while digits and the other keys still drive the screen.
      if (tag === 'INPUT' && e.key !== 'Escape' && e.key !== 'F1') return;
      if (tag === 'BUTTON' && (e.key === 'Enter' || e.key === ' ')) return;
      const key = keyOf(e);
      if (!key) return;
      e.preventDefault();
      pressRef.current(key);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  return (
    <div className="pos-page">
      <div className="pos-toolbar">
        <LanguageSwitch />
      </div>
      <main className="pos" aria-label={t('terminal.device')}>
        <section className="printer" aria-label={t('terminal.printer')}>
          <div className="printer-slot" />
          {slip && (
            <div className="paper">
              <Slip slip={slip} />
              <div className="paper-actions">
                <button type="button" onClick={() => window.print()}>
                  {t('terminal.print')}
                </button>
                <button type="button" onClick={() => setSlip(undefined)}>
                  {t('terminal.tear')}
                </button>
              </div>
            </div>
          )}
        </section>
        <section className="screen" aria-live="polite" data-screen={screen.kind}>
          <StatusBar
            merchant={terminal?.merchantName}
            serial={terminal?.serial}
            operator={operator?.code}
            online={online}
          />
          <div className="screen-body">{renderScreen()}</div>
        </section>
        <Keypad onKey={press} />
      </main>
    </div>
  );

  function prompt(title: string, value: ReactNode, hint?: string): ReactNode {
    return (
      <>
        <h1 className="screen-title">{title}</h1>
        <output className="screen-value">{value}</output>
        {hint && <p className="screen-hint">{hint}</p>}
      </>
    );
  }

  function renderScreen(): ReactNode {
    const s = screen;
    const mask = (d: string) => '*'.repeat(d.length) || '\u00a0';
    switch (s.kind) {
      case 'loading':
      case 'processing':
        return (
          <>
            <h1 className="screen-title">{t('terminal.processing')}</h1>
            <p className="screen-hint">{t('terminal.connecting')}</p>
          </>
        );
      case 'bind':
        return (
          <form
            className="bind-form"
            onSubmit={(e) => {
              e.preventDefault();
              void bind(serialText);
            }}
          >
            <h1 className="screen-title">{t('terminal.bindTitle')}</h1>
            <label htmlFor="serial">{t('terminal.bindPrompt')}</label>
            <input
              id="serial"
              name="serial"
              autoComplete="off"
              // biome-ignore lint/a11y/noAutofocus: the only thing to do on this screen
              autoFocus
              placeholder={t('terminal.bindExample')}
              value={serialText}
              onChange={(e) => setSerialText(e.target.value)}
            />
            {s.error && <p className="screen-error">{s.error}</p>}
          </form>
        );
      case 'welcome':
        return prompt(t('terminal.welcome'), terminal?.merchantName ?? '', t('terminal.pressEnterToSignOn'));
      case 'operator':
        return prompt(t('terminal.signOnTitle'), s.digits || '__', t('terminal.operatorPrompt'));
      case 'password':
        return prompt(t('terminal.signOnTitle'), mask(s.digits), t('terminal.passwordPrompt'));
      case 'message':
        return (
          <div className={`screen-message tone-${s.tone}`}>
            {s.lines.map((line) => (
              <p key={line}>{line}</p>
            ))}
            <p className="screen-hint">{t('terminal.pressEnter')}</p>
          </div>
        );
      case 'menu':
        return (
          <>
            <h1 className="screen-title">{t('terminal.menuTitle')}</h1>
            <ol className="menu">
              {MENU.map((item, i) => (
                <li key={item} className={i === s.cursor ? 'is-selected' : ''}>
                  {i + 1} {t(`terminal.menu.${item}`)}
                </li>
              ))}
            </ol>
          </>
        );
      case 'amount':
        return prompt(t('terminal.menu.sale'), money(Number(s.digits || 0)), t('terminal.amountPrompt'));
      case 'card':
        return (
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
        );
      case 'cardNumber':
        return prompt(t('terminal.cardNumberPrompt'), s.digits || '\u00a0', money(s.amount));
      case 'print':
        return (
          <div className="screen-message tone-ok">
            {s.headline.map((line) => (
              <p key={line}>{line}</p>
            ))}
            <p className="screen-hint">
              {s.copy === 'merchant' ? t('terminal.tearMerchant') : t('terminal.doneCardholder')}
            </p>
          </div>
        );
      case 'refundPassword':
        return prompt(t(`terminal.menu.${s.flow}`), mask(s.digits), t('terminal.refundPasswordPrompt'));
      case 'reference':
        return (
          <>
            <h1 className="screen-title">{t(`terminal.menu.${s.flow}`)}</h1>
            <p className="screen-hint">{t('terminal.originalReferencePrompt')}</p>
            <output className="screen-value">{s.digits || '\u00a0'}</output>
            {s.choices.length > 0 && (
              <>
                <p className="screen-hint">{t('terminal.voidPickHint')}</p>
                <ol className="menu menu-single">
                  {s.choices.map((p, i) => (
                    <li key={p.id} className={i === s.cursor ? 'is-selected' : ''}>
                      {p.reference} {money(p.amount, p.currency)}
                    </li>
                  ))}
                </ol>
              </>
            )}
          </>
        );
      case 'refundAmount':
        return (
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
        );
      case 'voidConfirm':
        return (
          <>
            <h1 className="screen-title">{t('terminal.menu.void')}</h1>
            <p>
              {t('terminal.reference')} {s.payment.reference}
            </p>
            <output className="screen-value">{money(s.payment.amount, s.payment.currency)}</output>
            <p className="screen-hint">{t('terminal.voidConfirm')}</p>
          </>
        );
      case 'query':
        return (
          <>
            <h1 className="screen-title">{t('terminal.queryTitle')}</h1>
            <ol className="menu menu-single">
              <li>1 {t('terminal.queryLast')}</li>
              <li>2 {t('terminal.queryByReference')}</li>
              <li>3 {t('terminal.queryRefunds')}</li>
            </ol>
          </>
        );
      case 'queryReference':
        return prompt(
          s.refunds ? t('terminal.queryRefunds') : t('terminal.queryTitle'),
          s.digits || '\u00a0',
          t('terminal.originalReferencePrompt'),
        );
      case 'settleConfirm':
        return prompt(t('terminal.settleTitle'), '', t('terminal.settleConfirm'));
      case 'manage':
        return (
          <>
            <h1 className="screen-title">{t('terminal.manageTitle')}</h1>
            <ol className="menu menu-single">
              <li className="is-selected">1 {t('terminal.manageChangeRefundPassword')}</li>
              <li>2 {t('terminal.manageReinitialize')}</li>
            </ol>
          </>
        );
      case 'reinit':
        return (
          terminal && (
            <Reinitialize
              terminal={terminal}
              keys={screenKeys}
              onCancel={() => setScreen({ kind: 'manage' })}
              onDone={() => {
                session.end(); // the server wiped this terminal's sessions
                setOperator(undefined);
                setScreen({ kind: 'welcome' });
              }}
            />
          )
        );
      case 'activate':
        return (
          terminal && (
            <Activate
              terminalId={terminal.id}
              merchantId={operator?.merchantId ?? ''}
              current={s.current}
              keys={screenKeys}
              onCancel={() => void signOff([t('terminal.signedOff')])}
              onDone={(lines) => {
                setOperator(undefined);
                setScreen({ kind: 'message', tone: 'ok', lines, next: { kind: 'operator', digits: '' } });
              }}
            />
          )
        );
      case 'changePassword': {
        const prompts = [
          'terminal.currentPasswordPrompt',
          'terminal.newPasswordPrompt',
          'terminal.confirmPasswordPrompt',
        ] as const;
        return prompt(t('terminal.manageChangeRefundPassword'), mask(s.digits), t(prompts[s.step]));
      }
      case 'ownPassword':
        return (
          <>
            <p className="screen-error">{t('terminal.mustChange')}</p>
            {prompt(
              t('terminal.signOnTitle'),
              mask(s.digits),
              t(s.step === 0 ? 'terminal.newPasswordPrompt' : 'terminal.confirmPasswordPrompt'),
            )}
          </>
        );
    }
  }
}
