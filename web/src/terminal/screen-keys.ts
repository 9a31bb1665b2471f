import { type MutableRefObject, useEffect } from 'react';
import type { Key } from './keys';

/** Where the terminal hands keypad keys to a screen that lives in its own component. */
export type ScreenKeys = MutableRefObject<((key: Key) => void) | undefined>;

/** Routes the keypad to `handler` while the screen is shown. */
export function useScreenKeys(keys: ScreenKeys, handler: (key: Key) => void): void {
  useEffect(() => {
    keys.current = handler;
    return () => {
      keys.current = undefined;
    };
  });
}
