import { useTranslation } from 'react-i18next';
import { currentLanguage, type Language, setLanguage } from './i18n';

const NAMES: Record<Language, string> = { 'zh-CN': '中文', en: 'English' };

export function LanguageSwitch({ className }: { className?: string }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  return (
    <fieldset className={`lang-switch ${className ?? ''}`}>
      <legend className="visually-hidden">{t('app.language')}</legend>
      {(Object.keys(NAMES) as Language[]).map((l) => (
        <button key={l} type="button" aria-pressed={l === lang} lang={l} onClick={() => void setLanguage(l)}>
          {NAMES[l]}
        </button>
      ))}
    </fieldset>
  );
}
