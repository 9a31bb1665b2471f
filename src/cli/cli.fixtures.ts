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
