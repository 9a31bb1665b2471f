import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DisputeView } from './Dispute';
import { SecretPrompt } from './fields';
import { initialSecret, keepSecret } from './secret';

/** A payment dispute's own page (`/refund/dispute/<id>`), proven by its access secret. */
export function DisputePage({ id }: { id: string }) {
  const { t } = useTranslation();
  const [secret, setSecret] = useState(() => initialSecret(id));
  const typed = (value: string) => {
    keepSecret(id, value);
    setSecret(value);
  };
  return (
    <main className="card">
      <h1>{t('paymentDispute.pageTitle')}</h1>
      <p className="muted">
        {t('paymentDispute.id')} {id}
      </p>
      {secret ? (
        <DisputeView key={secret} id={id} secret={secret} />
      ) : (
        <SecretPrompt label={t('paymentDispute.secretPrompt')} onSecret={typed} />
      )}
    </main>
  );
}
