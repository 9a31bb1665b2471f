import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, SessionEnded, session } from '../api/client';
import { dateTime } from '../format';
import { LanguageSwitch } from '../LanguageSwitch';
import { forgotScreens } from './ForgotScreens';
import { Keypad } from './Keypad';
import { type Key, keyOf } from './keys';
import { manageScreens } from './ManageScreens';
import { menuScreens } from './MenuScreen';
import { operatorScreens } from './OperatorScreens';
import { printScreens } from './PrintScreens';
import { queryScreens } from './QueryScreens';
import { reinitScreens } from './ReinitScreens';
import { saleScreens } from './SaleScreens';
import { settleScreens } from './SettleScreens';
import { signOnScreens } from './SignOnScreens';
import { Slip, type SlipData } from './Slip';
import { StatusBar } from './StatusBar';
import type { Ctx, Kind, Operator, Screen, ScreenDef, Screens } from './screen';
import type { BoundTerminal, Receipt } from './terminal-api';
import * as pos from './terminal-api';
import { voidRefundScreens } from './VoidRefundScreens';
import './terminal.css';

/** The serial is not a secret: the browser remembers which terminal it is. */
const SERIAL_KEY = 'refunddesk.terminal';
const IDLE_MS = 60_000;
/** Screens the idle timer leaves alone: idle already, busy, or showing a code only once. */
const NEVER_IDLE: readonly Kind[] = ['loading', 'bind', 'processing', 'welcome', 'menu', 'reinitDone'];

/** Every screen's renderer and key handler; the type checks none is missing. */
const SCREENS: Screens<Kind> = {
  ...signOnScreens,
  ...menuScreens,
  ...saleScreens,
  ...voidRefundScreens,
  ...queryScreens,
  ...settleScreens,
  ...printScreens,
  ...operatorScreens,
  ...forgotScreens,
  ...manageScreens,
  ...reinitScreens,
};
const screenDef = (s: Screen) => SCREENS[s.kind] as ScreenDef<Screen>;

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
  const [batchNo, setBatchNo] = useState<number>();
  const [online, setOnline] = useState(() => navigator.onLine);
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

  // Once, on opening: a later change of `bind` (a language switch gives it a new `t`) must not
  // look the terminal up again and throw whatever screen is showing back to the welcome screen.
  const bindRef = useRef(bind);
  bindRef.current = bind;
  useEffect(() => {
    const serial = serialFromUrl() ?? localStorage.getItem(SERIAL_KEY);
    if (serial) void bindRef.current(serial);
    else setScreen({ kind: 'bind' });
  }, []);

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

  // A screen left alone for 60 s goes back to idle (the menu, or the welcome screen when signed off);
  // a key or a touch anywhere (the keypad, or typing into a form) is not being left alone. A code
  // shown once is never taken away by the timer.
  useEffect(() => {
    if (NEVER_IDLE.includes(screen.kind)) return;
    const goIdle = () => setScreen(home());
    let timer = setTimeout(goIdle, IDLE_MS);
    const active = () => {
      clearTimeout(timer);
      timer = setTimeout(goIdle, IDLE_MS);
    };
    window.addEventListener('keydown', active);
    window.addEventListener('pointerdown', active);
    return () => {
      clearTimeout(timer);
      window.removeEventListener('keydown', active);
      window.removeEventListener('pointerdown', active);
    };
  }, [screen, home]);

  const refreshBatch = () => {
    if (!terminal || !session.active) return setBatchNo(undefined);
    pos.openBatch(terminal.id).then(
      (b) => setBatchNo(b.batchNo),
      () => setBatchNo(undefined),
    );
  };

  const ctx: Ctx = {
    t,
    terminal,
    operator,
    batchNo,
    serialText,
    setSerialText,
    go: setScreen,
    home,
    failure,
    fail: (e, next) => {
      if (!(e instanceof SessionEnded)) setScreen({ kind: 'message', tone: 'error', lines: failure(e), next });
    },
    print: (receipt: Receipt, headline: string[]) => {
      setSlip({ lines: receipt.merchantCopy, copy: 'merchant' });
      setScreen({ kind: 'print', headline, receipt, copy: 'merchant' });
      refreshBatch();
    },
    bind,
    setOperator,
    setSlip,
    refreshBatch,
  };

  const press = (key: Key) => screenDef(screen).press(screen, key, ctx);
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
            batch={operator ? batchNo : undefined}
            online={online}
          />
          <div className="screen-body">{screenDef(screen).render(screen, ctx)}</div>
        </section>
        <Keypad onKey={press} />
      </main>
    </div>
  );
}
