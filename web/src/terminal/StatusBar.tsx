import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { clock } from '../format';

interface Props {
  merchant?: string;
  serial?: string;
  operator?: string;
  /** The open batch's number (the next one's right after a settlement). */
  batch?: number;
  online: boolean;
}

export function StatusBar({ merchant, serial, operator, batch, online }: Props) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <div className="status-bar">
      <span className="status-merchant" title={t('status.merchant')}>
        {merchant ?? '—'}
      </span>
      <span title={t('status.terminal')}>{serial ?? '--------'}</span>
      <span title={t('status.operator')}>
        {t('status.operator')} {operator ?? '--'}
      </span>
      <span title={t('status.batch')}>
        {t('status.batch')} {batch === undefined ? '------' : String(batch).padStart(6, '0')}
      </span>
      <time>{clock(now)}</time>
      <span
        className={`online-dot ${online ? 'is-online' : 'is-offline'}`}
        role="img"
        aria-label={t(online ? 'status.online' : 'status.offline')}
      />
    </div>
  );
}
