import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from './LanguageSwitch';

export function Home() {
  const { t } = useTranslation();
  return (
    <main className="home">
      <header>
        <h1>{t('app.title')}</h1>
        <LanguageSwitch />
      </header>
      <ul>
        <li>
          <a href="/terminal">{t('app.terminal')}</a>
          <p>{t('app.terminalHint')}</p>
        </li>
        <li>
          <a href="/refund">{t('app.refund')}</a>
          <p>{t('app.refundHint')}</p>
        </li>
        <li>
          <a href="/docs">{t('app.docs')}</a>
        </li>
      </ul>
    </main>
  );
}
