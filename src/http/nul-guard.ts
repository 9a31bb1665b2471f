import type { FastifyInstance } from 'fastify';
import { nulInText } from './http.errors.js';

interface Step {
  key: string;
  parent: Step | undefined;
}
const pathOf = (step: Step | undefined): string => {
  const keys: string[] = [];
  for (let s = step; s; s = s.parent) keys.unshift(s.key);
  return keys.join('.') || '(value)';
};

/**
 * The first place a NUL character hides in a parsed body, query or path, or undefined. Walks with
 * its own stack, not recursion: a body may nest 30 000 arrays deep within the size limit.
 */
export function findNul(value: unknown): string | undefined {
  const stack: Array<[unknown, Step | undefined]> = [[value, undefined]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, at] = next;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return pathOf(at);
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000')) return pathOf({ key: '(a key)', parent: at });
        stack.push([child, { key, parent: at }]);
      }
    }
  }
  return undefined;
}

/**
 * No text in RefundDesk holds a NUL character, and PostgreSQL refuses one in any text column (a
 * database error, so a 500, where SQLite would store it). One check before every route's schema
 * turns it into the 400 it is, on both engines, whatever the route.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['body', request.body],
      ['query', request.query],
      ['path', request.params],
    ] as const) {
      const at = findNul(value);
      if (at) {
        const path = `${part}.${at}`;
        throw nulInText(path);
      }
    }
  });
}
