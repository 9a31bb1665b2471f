import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { openPaymentDispute, REASONS } from './customer-api';
import { Alert, ContactFields, ProofShown, ReceiptFields, TextField } from './fields';
import { receiptBody, useReceiptForm } from './receipt-form';

interface Opened {
  id: string;
  accessSecret: string;
  disputeUrl: string;
}

/**
 * A dispute on a payment with no refund (charged but the sale failed, charged twice, the merchant
 * never answered): proven by the receipt's 参考号 and the card's last 4 digits, as a refund request
 * is. The amount on the receipt is not asked: the payment is found by its reference, and what the
 * customer wants back is theirs to say; the ruling sets the amount.
 */
export function OpenPaymentDispute() {
  const { t } = useTranslation();
  const { form, setForm, set, error, busy, submit } = useReceiptForm('payment_failure', {});
  const [opened, setOpened] = useState<Opened>();

  const send = submit(async () => {
    const r = await openPaymentDispute(receiptBody(form));
    if (r.accessSecret && r.disputeUrl) setOpened({ id: r.id, accessSecret: r.accessSecret, disputeUrl: r.disputeUrl });
  });

  if (opened) {
    return (
      <ProofShown
        title={t('paymentDispute.opened')}
        labels={{
          id: t('paymentDispute.id'),
          secret: t('paymentDispute.secret'),
          hint: t('paymentDispute.secretHint'),
          follow: t('paymentDispute.follow'),
        }}
        id={opened.id}
        secret={opened.accessSecret}
        url={opened.disputeUrl}
        testIds={{ id: 'dispute-id', secret: 'access-secret', url: 'dispute-url' }}
      />
    );
  }

  return (
    <main className="card">
      <h1>{t('paymentDispute.title')}</h1>
      <p>{t('paymentDispute.intro')}</p>
      <form onSubmit={send} className="form">
        <ReceiptFields form={form} set={set} />
        <label>
          {t('paymentDispute.reason')}
          <select value={form.reason} onChange={set('reason')} name="reason">
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {t(`customer.reasons.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <TextField
          label={t('paymentDispute.description')}
          name="description"
          required
          maxLength={4000}
          value={form.description}
          onText={(description) => setForm((f) => ({ ...f, description }))}
        />
        <ContactFields form={form} set={set} />
        <Alert text={error} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('customer.submitting') : t('paymentDispute.submit')}
        </button>
      </form>
      <p className="aside">
        <a href="/refund">{t('paymentDispute.back')}</a>
      </p>
    </main>
  );
}
