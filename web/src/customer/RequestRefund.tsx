import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { parseAmount } from '../format';
import { REASONS, requestRefund } from './customer-api';
import { Alert, ContactFields, Field, ProofShown, ReceiptFields } from './fields';
import { receiptBody, useReceiptForm } from './receipt-form';

interface Created {
  id: string;
  trackingSecret: string;
  trackingUrl: string;
}

export function RequestRefund() {
  const { t } = useTranslation();
  const { form, set, error, setError, busy, submit } = useReceiptForm('goods_returned', { amount: '' });
  const [created, setCreated] = useState<Created>();

  const send = submit(async () => {
    const amount = parseAmount(form.amount);
    if (!amount) return setError(t('customer.invalidAmount'));
    const r = await requestRefund({ ...receiptBody(form), amount });
    setCreated({ id: r.id, trackingSecret: r.trackingSecret, trackingUrl: r.trackingUrl });
  });

  if (created) {
    return (
      <ProofShown
        title={t('customer.received')}
        labels={{
          id: t('customer.requestId'),
          secret: t('customer.secret'),
          hint: t('customer.secretHint'),
          follow: t('customer.trackLink'),
        }}
        id={created.id}
        secret={created.trackingSecret}
        url={created.trackingUrl}
        testIds={{ id: 'refund-id', secret: 'tracking-secret', url: 'tracking-url' }}
      />
    );
  }

  return (
    <main className="card">
      <h1>{t('customer.title')}</h1>
      <p>{t('customer.intro')}</p>
      <form onSubmit={send} className="form">
        <ReceiptFields form={form} set={set} />
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
        <ContactFields form={form} set={set} />
        <Alert text={error} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('customer.submitting') : t('customer.submit')}
        </button>
      </form>
      <p className="aside">
        {t('paymentDispute.askIntro')} <a href="/refund/dispute">{t('paymentDispute.askLink')}</a>
      </p>
    </main>
  );
}
