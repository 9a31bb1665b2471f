import type { Tx } from '../db/transaction.js';
import * as repo from './session.repository.js';

/**
 * Ending sessions from inside another domain's transaction (a password changed, a terminal
 * re-initialised). Kept apart from `session.service.ts`, which signs people on by checking their
 * passwords — so the password services can end sessions without importing the sign-on.
 */

/** Ends every session of a merchant's people (after its refund password changes). */
export async function revokeMerchantSessions(trx: Tx, merchantId: string, at: string): Promise<number> {
  return repo.revokeMerchantSessions(trx, merchantId, at);
}

/** Ends every session of one principal (after its own password changes or is reset). */
export async function revokePrincipalSessions(trx: Tx, principalId: string, at: string): Promise<number> {
  return repo.revokePrincipalSessions(trx, principalId, at);
}

/** Deletes every session opened at a terminal (a re-initialisation wipes them). */
export async function deleteTerminalSessions(trx: Tx, terminalId: string): Promise<number> {
  return repo.deleteTerminalSessions(trx, terminalId);
}
