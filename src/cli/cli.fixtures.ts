import { expect } from 'vitest';
import type { CliRun } from '../../test/support/cli-process.js';

/** Values and checks shared by the CLI's child-process tests. */

export function expectError(r: CliRun, code: string) {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^error: ${code}: `, 'm'));
}

// Refund passwords the tests set, in order (not trivial, not the demo phone number, never repeated).
export const P1 = '583920417';
export const P2 = '205837461';
export const P3 = '639274015';
export const P4 = '472019386';
export const SUPERVISOR = 'T-0001:00';
export const CASHIER = 'T-0001:01';

/**
 * Per command: a bad invocation, and what its one line must say (for an option: the flag). The CLI
 * errors test holds it to the program: a row for every command the program defines.
 */
export const BAD: Record<string, [args: string[], says: RegExp]> = {
  serve: [['--port', '1'], /unknown option '--port'/],
  migrate: [['now'], /too many arguments/],
  seed: [[], /say --demo/],
  'acquirer create': [['--name', ' '], /--name.*must not be blank/],
  'agent create': [[], /required option '--name/],
  'merchant create': [['--name', 'x', '--acquirer', 'acq_x', '--email', 'nope'], /--email.*an e-mail address/],
  'merchant list': [['--all'], /unknown option '--all'/],
  'terminal create': [['--serial', 'T-9', '--merchant', 'Mer-1', '--agent', 'agt_x'], /--merchant.*mer_/],
  'terminal reinit': [['--terminal', 'T-0001', '--confirm-serial', 'T-0001'], /'--confirm-serial-again/],
  'operator add': [['--terminal', 'T-0001', '--code', '5'], /--code.*two digits/],
  'operator reset-password': [['--terminal', 'T-0001', '--code', 'x1'], /--code.*two digits/],
  'user create': [['--email', 'a@b.example', '--name', 'x', '--role', 'owner'], /--role.*one of/],
  'api-key create': [['--merchant', 'mer_x', '--name', 'k', '--scopes', 'read,all'], /--scopes.*one of/],
  'audit verify': [['--chain', 'mer_TYPO'], /no audit chain mer_TYPO/],
  'audit list': [['--limit', '0'], /--limit.*an integer from 1 to 1000/],
  outbox: [['--reveal', 'abc'], /--reveal.*ntf_/],
  'refund-password status': [['--merchant', 'merchant-1'], /--merchant.*mer_/],
  'refund-password change': [['--as-operator', 'T-0001:00'], /required option '--merchant/],
  'refund-password policy': [['--merchant', 'mer_x', '--lock-after', '50'], /--lock-after.*PCI DSS 8\.3\.4/],
  'recovery challenge': [['--terminal', 'T-0001'], /required option '--as-operator/],
  'recovery unlock-code': [
    ['--terminal', 'T-0001', '--challenge', '123', '--as-user', 'a@b.example'],
    /--challenge.*10 digits/,
  ],
  'recovery reset': [['--as-operator', 'T-0001:00'], /required option '--terminal/],
  'recovery send-code': [['--merchant', 'mer_x', '--channel', 'fax'], /--channel.*sms, email/],
  'recovery verify-code': [
    ['--merchant', 'mer_x', '--as-operator', 'T-0001'],
    /--as-operator is <terminal id or serial>:<two-digit code>/,
  ],
  'login-password change': [[], /say who acts: --as-operator .* or --as-user/],
  backup: [['--out'], /'--out <file>' argument missing/],
  'backup verify': [['/nonexistent/none.rdbackup'], /ENOENT/],
  restore: [['/nonexistent/none.rdbackup'], /required option '--into/],
};
