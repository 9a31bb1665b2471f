/**
 * Notifications: types, the template registry and rendering. Pure, no I/O.
 *
 * A template renders a short plain-text subject and body per language from a `data` object.
 * Some data values are secrets that have to reach the recipient (one-time codes): a template
 * names them in `secrets`, and everything that is stored or listed is rendered with those values
 * replaced by MASK. Passwords are never a notification's business: data keys that look like one
 * are refused outright.
 */
export const notificationChannels = ['email', 'sms'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

export const notificationLanguages = ['zh-CN', 'en'] as const;
export type NotificationLanguage = (typeof notificationLanguages)[number];

/**
 * - queued: waiting for the worker (or being retried after a provider error)
 * - sent: the provider (SMTP server, SMS gateway) accepted it
 * - failed: the provider refused it for good, or every retry failed
 * - local: no provider is configured for the channel; kept in the local outbox (offline demo)
 */
export const notificationStatuses = ['queued', 'sent', 'failed', 'local'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/** A template's name; see `registerTemplate` and `templates.ts` for the shipped ones. */
export type NotificationTemplate = string;

export type TemplateData = Record<string, unknown>;
export type Render = (d: TemplateData) => string;

export interface TemplateDefinition {
  subject: Record<NotificationLanguage, Render>;
  body: Record<NotificationLanguage, Render>;
  /** Data keys whose values must reach the recipient but never the database or a listing. */
  secrets?: readonly string[];
}

export interface NotificationInput {
  merchantId: string | null;
  channel: NotificationChannel;
  to: string;
  template: NotificationTemplate;
  language: NotificationLanguage;
  data: TemplateData;
  /** Globally unique per event (namespace it: `refund_password_changed:<merchantId>:<at>`). */
  dedupeKey: string;
}

/** A notification as listed: `subject` and `body` are the stored, masked copies. */
export interface Notification {
  id: string;
  merchantId: string | null;
  channel: NotificationChannel;
  recipient: string;
  template: NotificationTemplate;
  language: NotificationLanguage;
  subject: string;
  body: string;
  dedupeKey: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  providerMessageId: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface RenderedMessage {
  subject: string;
  body: string;
}

/** What stands in for a secret in everything stored. Fixed width, so it does not leak the length. */
export const MASK = '******';

const templates = new Map<string, TemplateDefinition>();

/** Adds (or replaces) a template. Domains call this at import time for their own messages. */
export function registerTemplate(name: string, t: TemplateDefinition): void {
  for (const lang of notificationLanguages) {
    if (typeof t.subject[lang] !== 'function' || typeof t.body[lang] !== 'function') {
      throw new Error(`template ${name} lacks a ${lang} subject or body`);
    }
  }
  templates.set(name, t);
}

export function findTemplate(name: string): TemplateDefinition | undefined {
  return templates.get(name);
}

export function templateSecrets(name: string): readonly string[] {
  return templates.get(name)?.secrets ?? [];
}

const PASSWORD_KEY = /(password|passwd|passphrase|^pin)$/i;

/** Throws (a programming error, not user input) when the message cannot be rendered safely. */
export function assertRenderable(n: Pick<NotificationInput, 'template' | 'language' | 'channel' | 'to' | 'data'>) {
  if (!templates.has(n.template)) throw new Error(`unknown notification template: ${n.template}`);
  if (!(notificationLanguages as readonly string[]).includes(n.language)) {
    throw new Error(`unsupported notification language: ${n.language}`);
  }
  if (!(notificationChannels as readonly string[]).includes(n.channel)) {
    throw new Error(`unsupported notification channel: ${n.channel}`);
  }
  if (n.to.trim() === '') throw new Error('a notification needs a recipient');
  const bad = Object.keys(n.data).find((k) => PASSWORD_KEY.test(k));
  if (bad) throw new Error(`notification data must never carry a password (key "${bad}")`);
}

/** The real message, secrets included: only for handing to a provider (or `outbox --reveal`). */
export function render(template: string, language: NotificationLanguage, data: TemplateData): RenderedMessage {
  const t = templates.get(template);
  if (!t) throw new Error(`unknown notification template: ${template}`);
  return { subject: t.subject[language](data).trim(), body: t.body[language](data).trim() };
}

/**
 * The copy that may be stored and listed: each secret value replaced by MASK before rendering.
 * As a second line of defence, it refuses a template that leaks a secret some other way.
 */
export function renderMasked(template: string, language: NotificationLanguage, data: TemplateData): RenderedMessage {
  const secrets = templateSecrets(template);
  const masked: TemplateData = { ...data };
  for (const k of secrets) if (k in masked) masked[k] = MASK;
  const out = render(template, language, masked);
  for (const k of secrets) {
    const v = data[k];
    if (v === undefined || v === null) continue;
    const s = String(v);
    if (s.length >= 4 && (out.subject.includes(s) || out.body.includes(s))) {
      throw new Error(`template ${template} renders its secret "${k}" outside the secret field`);
    }
  }
  return out;
}

/** True when the message carries a secret value, so it is rendered again at send time. */
export function hasSecrets(template: string, data: TemplateData): boolean {
  return templateSecrets(template).some((k) => data[k] !== undefined && data[k] !== null);
}

/**
 * Times in messages: the merchant reads wall-clock time, and RefundDesk's merchants are in China,
 * so times are shown in China Standard Time with the offset spelled out. Anything that is not a
 * date is shown as given.
 */
export function formatTime(value: unknown): string {
  const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) return String(value ?? '');
  const shifted = new Date(d.getTime() + 8 * 60 * 60_000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)} (UTC+8)`;
}

export function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}
