import { type FormEvent, type InputHTMLAttributes, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { parseAmount } from '../format';
import { currentLanguage, type Language } from '../i18n';
import { REASONS, type RefundReason, requestRefund } from './customer-api';
import { Alert } from './fields';

interface Created {
  id: string;
  trackingSecret: string;
  trackingUrl: string;
}

export function RequestRefund() {
  const { t } = useTranslation();
  const [form, setForm] = useState({
    reference: '',
    last4: '',
    amount: '',
    reason: 'goods_returned' as RefundReason,
    description: '',
    email: '',
    phone: '',
    language: currentLanguage() as Language,
  });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created>();
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [field]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const amount = parseAmount(form.amount);
    if (!amount) return setError(t('customer.invalidAmount'));
    setError(undefined);
    setBusy(true);
    try {
      const r = await requestRefund({
        paymentReference: form.reference.trim(),
        cardLast4: form.last4.trim(),
        amount,
        reason: form.reason,
        description: form.description.trim(),
        contact: {
          ...(form.email ? { email: form.email.trim() } : {}),
          ...(form.phone ? { phone: form.phone.trim() } : {}),
        },
        language: form.language,
      });
      setCreated({ id: r.id, trackingSecret: r.trackingSecret, trackingUrl: r.trackingUrl });
    } catch (err) {
      setError(err instanceof ApiError ? problemText(err) : t('app.offline'));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    // The server's link (PUBLIC_BASE_URL…), followed here on this same site: path, language, fragment.
    const url = new URL(created.trackingUrl);
    const link = `${url.pathname}${url.search}${url.hash}`;
    return (
      <main className="card">
        <h1>{t('customer.received')}</h1>
        <dl className="facts">
          <dt>{t('customer.requestId')}</dt>
          <dd data-testid="refund-id">{created.id}</dd>
          <dt>{t('customer.secret')}</dt>
          <dd data-testid="tracking-secret" className="secret">
            {created.trackingSecret}
          </dd>
        </dl>
        <p>{t('customer.secretHint')}</p>
        <p className="track-url" data-testid="tracking-url">
          {created.trackingUrl}
        </p>
        <a className="button" href={link}>
          {t('customer.trackLink')}
        </a>
      </main>
    );
  }

  return (
    <main className="card">
      <h1>{t('customer.title')}</h1>
      <p>{t('customer.intro')}</p>
      <form onSubmit={submit} className="form">
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
        <Field
          label={t('customer.amount')}
          name="amount"
          value={form.amount}
          onChange={set('amount')}
          required
          inputMode="decimal"
          placeholder="0.00"
        />
        <label>
          {t('customer.reason')}
          <select value={form.reason} onChange={set('reason')} name="reason">
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {t(`customer.reasons.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('customer.description')}
          <textarea
            required
            maxLength={2000}
            rows={3}
            value={form.description}
            onChange={set('description')}
            name="description"
          />
        </label>
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
        <Alert text={error} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('customer.submitting') : t('customer.submit')}
        </button>
      </form>
    </main>
  );
}

/** The server's title, and for a request that does not match the schema the fields it names. */
export function problemText(e: ApiError): string {
  const errors = e.problem.errors as Array<{ path: string; message: string }> | undefined;
  return errors?.length ? `${e.problem.title}: ${errors.map((x) => x.message).join('; ')}` : e.problem.title;
}

function Field({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      {label}
      <input {...input} />
    </label>
  );
}
