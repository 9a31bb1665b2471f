import { type FormEvent, type InputHTMLAttributes, type TextareaHTMLAttributes, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api/client';
import { sameSiteLink } from './secret';

/** The problem of the last action, read out by screen readers; nothing when there is none. */
export function Alert({ text }: { text: string | undefined }) {
  return text ? (
    <p role="alert" className="error">
      {text}
    </p>
  ) : null;
}

/** A labelled textarea bound to a string. */
export function TextField({
  label,
  value,
  onText,
  ...area
}: {
  label: string;
  value: string;
  onText: (text: string) => void;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange'>) {
  return (
    <label>
      {label}
      <textarea rows={3} {...area} value={value} onChange={(e) => onText(e.target.value)} />
    </label>
  );
}

/** Asks for the secret when the link did not carry it (a later message's link, a new tab). */
export function SecretPrompt({ label, onSecret }: { label: string; onSecret: (secret: string) => void }) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSecret(typed.trim());
    setTyped('');
  };
  return (
    <form onSubmit={submit} className="form">
      <label>
        {label}
        <input type="password" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} required />
      </label>
      <button type="submit" className="button">
        {t('customer.track')}
      </button>
    </form>
  );
}

/** A labelled input. */
export function Field({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      {label}
      <input {...input} />
    </label>
  );
}

type Setter<F extends string> = (field: F) => (e: { target: { value: string } }) => void;

/** What proves the payment: the receipt's 参考号 and the card's last 4 digits. */
export function ReceiptFields({
  form,
  set,
}: {
  form: { reference: string; last4: string };
  set: Setter<'reference' | 'last4'>;
}) {
  const { t } = useTranslation();
  return (
    <>
      <Field
        label={t('customer.reference')}
        name="reference"
        value={form.reference}
        onChange={set('reference')}
        required
        inputMode="numeric"
        pattern="\d{12}"
        maxLength={12}
      />
      <Field
        label={t('customer.cardLast4')}
        name="last4"
        value={form.last4}
        onChange={set('last4')}
        required
        inputMode="numeric"
        pattern="\d{4}"
        maxLength={4}
      />
    </>
  );
}

/** How the customer is told of each step, and in which language. */
export function ContactFields({
  form,
  set,
}: {
  form: { email: string; phone: string; language: string };
  set: Setter<'email' | 'phone' | 'language'>;
}) {
  const { t } = useTranslation();
  return (
    <>
      <fieldset>
        <legend>{t('customer.contactHint')}</legend>
        <Field
          label={t('customer.email')}
          name="email"
          type="email"
          autoComplete="email"
          value={form.email}
          onChange={set('email')}
        />
        <Field
          label={t('customer.phone')}
          name="phone"
          type="tel"
          autoComplete="tel"
          value={form.phone}
          onChange={set('phone')}
        />
      </fieldset>
      <label>
        {t('customer.notifyLanguage')}
        <select value={form.language} onChange={set('language')} name="language">
          <option value="zh-CN">中文</option>
          <option value="en">English</option>
        </select>
      </label>
    </>
  );
}

/** The server's title, and for a request that does not match the schema the fields it names. */
export function problemText(e: ApiError): string {
  const errors = e.problem.errors as Array<{ path: string; message: string }> | undefined;
  return errors?.length ? `${e.problem.title}: ${errors.map((x) => x.message).join('; ')}` : e.problem.title;
}

/**
 * The answer to a request made with the receipt: its number, its secret (shown this once) and the
 * link that carries the secret in its fragment, followed on this same site.
 */
export function ProofShown(p: {
  title: string;
  labels: { id: string; secret: string; hint: string; follow: string };
  id: string;
  secret: string;
  url: string;
  testIds: { id: string; secret: string; url: string };
}) {
  return (
    <main className="card">
      <h1>{p.title}</h1>
      <dl className="facts">
        <dt>{p.labels.id}</dt>
        <dd data-testid={p.testIds.id}>{p.id}</dd>
        <dt>{p.labels.secret}</dt>
        <dd data-testid={p.testIds.secret} className="secret">
          {p.secret}
        </dd>
      </dl>
      <p>{p.labels.hint}</p>
      <p className="track-url" data-testid={p.testIds.url}>
        {p.url}
      </p>
      <a className="button" href={sameSiteLink(p.url)}>
        {p.labels.follow}
      </a>
    </main>
  );
}
