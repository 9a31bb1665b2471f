import { useTranslation } from 'react-i18next';
import type { Key } from './keys';

interface Props {
  onKey(key: Key): void;
}

/** The keypad: buttons never take focus, so the physical keyboard keeps driving the screen. */
export function Keypad({ onKey }: Props) {
  const { t } = useTranslation();
  const button = (key: Key, label: string, className = '', aria?: string) => (
    <button
      type="button"
      tabIndex={-1}
      className={`key ${className}`}
      aria-label={aria ?? label}
      data-key={key}
      onPointerDown={(e) => e.preventDefault()}
      onClick={() => onKey(key)}
    >
      {label}
    </button>
  );
  return (
    <fieldset className="keypad">
      <legend className="visually-hidden">{t('keys.keypad')}</legend>
      {button('fn', t('keys.fn'), 'key-fn')}
      {button('up', '↑', 'key-fn', t('keys.up'))}
      {button('down', '↓', 'key-fn', t('keys.down'))}
      {button('cancel', t('keys.cancel'), 'key-cancel')}
      {button('1', '1')}
      {button('2', '2')}
      {button('3', '3')}
      {button('clear', t('keys.clear'), 'key-clear')}
      {button('4', '4')}
      {button('5', '5')}
      {button('6', '6')}
      {button('enter', t('keys.enter'), 'key-enter')}
      {button('7', '7')}
      {button('8', '8')}
      {button('9', '9')}
      {button('00', '00')}
      {button('0', '0', 'key-zero')}
    </fieldset>
  );
}
