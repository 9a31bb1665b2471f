import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { currentLanguage, type Language } from '../i18n';
import type { RefundReason } from './customer-api';
import { problemText } from './fields';

/** What a customer fills in from the receipt to ask for a refund or open a payment dispute. */
export interface ReceiptForm {
  reference: string;
  last4: string;
  reason: RefundReason;
  description: string;
  email: string;
  phone: string;
  language: Language;
}

/**
 * A receipt form's state: its fields (the common ones, plus `extra`), a setter per field, and a
 * submit that runs one call, showing the server's problem in its words.
 */
export function useReceiptForm<X extends Record<string, string>>(reason: RefundReason, extra: X) {
  const { t } = useTranslation();
  const [form, setForm] = useState<ReceiptForm & X>({
    reference: '',
    last4: '',
    reason,
    description: '',
    email: '',
    phone: '',
    language: currentLanguage(),
    ...extra,
  });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (field: keyof (ReceiptForm & X)) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [field]: e.target.value }));
  const submit = (call: () => Promise<void>) => async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await call();
    } catch (err) {
      setError(err instanceof ApiError ? problemText(err) : t('app.offline'));
    } finally {
      setBusy(false);
    }
  };
  return { form, setForm, set, error, setError, busy, submit };
}

/** The request's proof and contact, trimmed, as the API takes them. */
export function receiptBody(form: ReceiptForm) {
  return {
    paymentReference: form.reference.trim(),
    cardLast4: form.last4.trim(),
    reason: form.reason,
    description: form.description.trim(),
    contact: {
      ...(form.email ? { email: form.email.trim() } : {}),
      ...(form.phone ? { phone: form.phone.trim() } : {}),
    },
    language: form.language,
  };
}
