export type Key =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '00'
  | 'cancel'
  | 'clear'
  | 'enter'
  | 'fn'
  | 'up'
  | 'down';

/** A physical keyboard as the terminal's keypad: digits, Enter = 确认, Esc = 取消, Backspace = 清除, F1 = 功能. */
export function keyOf(e: KeyboardEvent): Key | undefined {
  if (/^[0-9]$/.test(e.key)) return e.key as Key;
  switch (e.key) {
    case '.':
      return '00';
    case 'Enter':
      return 'enter';
    case 'Escape':
      return 'cancel';
    case 'Backspace':
      return 'clear';
    case 'F1':
      return 'fn';
    case 'ArrowUp':
      return 'up';
    case 'ArrowDown':
      return 'down';
    default:
      return undefined;
  }
}

export const isDigit = (k: Key): boolean => /^\d+$/.test(k);
