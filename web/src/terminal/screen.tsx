import type { TFunction } from 'i18next';
import type { Dispatch, ReactNode, SetStateAction } from 'react';
import { isDigit, type Key } from './keys';
import type { SlipData } from './Slip';
import type { BoundTerminal, OpenBatch, Payment, Receipt } from './terminal-api';

/**
 * The terminal's screens: one state per screen, and for each a renderer and a key handler. The
 * handlers live in per-screen files (SignOnScreens, SaleScreens, …) and Terminal.tsx only routes.
 */
export type Flow = 'refund' | 'void';
export type Screen =
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
  | { kind: 'reference'; flow: Flow; password: string; digits: string; choices: VoidChoice[]; cursor: number }
  | { kind: 'refundAmount'; password: string; payment: Payment; digits: string }
  | { kind: 'voidConfirm'; password: string; payment: Payment }
  | { kind: 'settleConfirm'; summary: OpenBatch }
  | { kind: 'printMenu' }
  | { kind: 'printVoucher'; digits: string }
  | { kind: 'operators' }
  | { kind: 'opEntry'; action: 'own' | 'add' | 'delete' | 'reset'; step: number; values: string[]; digits: string }
  | { kind: 'opDelete'; code: string }
  | { kind: 'forgot' }
  | { kind: 'forgotChallenge'; challenge: string }
  | { kind: 'forgotEntry'; way: 'agent' | 'sms' | 'email'; step: number; values: string[]; digits: string }
  | { kind: 'query' }
  | { kind: 'queryReference'; digits: string; refunds: boolean }
  | { kind: 'manage' }
  | { kind: 'changePassword'; step: 0 | 1 | 2; values: string[]; digits: string }
  | { kind: 'ownPassword'; current: string; step: 0 | 1; values: string[]; digits: string }
  | { kind: 'reinit' }
  | { kind: 'reinitDone'; activationCode: string; backupId: string | null }
  | { kind: 'activate'; current: string | null };

export type Kind = Screen['kind'];
export type ScreenOf<K extends Kind> = Extract<Screen, { kind: K }>;

export interface Operator {
  code: string;
  role: string;
  merchantId: string;
}

/** A sale of the open batch that 撤销 offers, with its 凭证号. */
export interface VoidChoice {
  payment: Payment;
  voucherNo: number;
}

/** What a screen can see and do: the terminal's state and the shell's actions. */
export interface Ctx {
  t: TFunction;
  terminal?: BoundTerminal;
  operator?: Operator;
  /** The open batch's number, as the status bar shows it. */
  batchNo?: number;
  serialText: string;
  setSerialText: Dispatch<SetStateAction<string>>;
  go(s: Screen): void;
  /** The idle screen: the menu when signed on, else the welcome screen. */
  home(): Screen;
  /** A failure in the server's words (with attempts left or a lock's end), or "offline". */
  failure(e: unknown): string[];
  fail(e: unknown, next: Screen): void;
  print(receipt: Receipt, headline: string[]): void;
  bind(serial: string): Promise<void>;
  setOperator(o: Operator | undefined): void;
  setSlip(s: SlipData | undefined): void;
  /** Asks the server for the open batch's number again (after sign-on, a transaction, a settlement). */
  refreshBatch(): void;
}

export interface ScreenDef<S extends Screen> {
  render(s: S, ctx: Ctx): ReactNode;
  press(s: S, key: Key, ctx: Ctx): void;
}

/** Screens a file handles, checked per kind. */
export type Screens<K extends Kind> = { [P in K]: ScreenDef<ScreenOf<P>> };

/** Digits typed into a field of at most `max` characters; 清除 takes the last one back. */
export function typed(digits: string, key: Key, max: number): string {
  if (key === 'clear') return digits.slice(0, -1);
  if (!isDigit(key)) return digits;
  return (digits + key).slice(0, max);
}

export const mask = (d: string) => '*'.repeat(d.length) || '\u00a0';

export function prompt(title: string, value: ReactNode, hint?: string): ReactNode {
  return (
    <>
      <h1 className="screen-title">{title}</h1>
      <output className="screen-value">{value}</output>
      {hint && <p className="screen-hint">{hint}</p>}
    </>
  );
}
