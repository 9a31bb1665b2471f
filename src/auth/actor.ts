import * as errors from './auth.errors.js';

/**
 * Who is calling, and what they may reach. Roles come from three kinds of principal: terminal
 * operators, console users, and merchant API keys. Tenant scoping lives here, in one place:
 * a merchant's people see that merchant, an agent its terminals, an acquirer its merchants.
 */
export const roles = [
  'cashier',
  'supervisor',
  'merchant_owner',
  'acquirer_reviewer',
  'agent_staff',
  'platform_admin',
  'api_key',
] as const;
export type Role = (typeof roles)[number];

/** Every role of a person (operators and console users): all but API keys. */
export const peopleRoles: readonly Role[] = roles.filter((r) => r !== 'api_key');

export const userRoles = ['merchant_owner', 'acquirer_reviewer', 'agent_staff', 'platform_admin'] as const;
export type UserRole = (typeof userRoles)[number];

export const apiKeyScopes = ['payments:write', 'refunds:write', 'read'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export interface Actor {
  readonly kind: 'operator' | 'user' | 'api_key';
  readonly id: string;
  readonly role: Role;
  readonly merchantId: string | null;
  readonly terminalId: string | null;
  readonly acquirerId: string | null;
  readonly agentId: string | null;
  readonly scopes: readonly ApiKeyScope[];
  readonly sessionId: string | null;
  /** A reset password: the session may only change it. */
  readonly mustChangePassword: boolean;
  /** The client's address, for the audit log: set by the HTTP auth hook; absent from the CLI. */
  readonly ip?: string | null;
}

/**
 * The actor as audit records and refund or dispute timelines name it: the kind of principal, its
 * id, and the address it acted from (HTTP; PCI DSS 10.2.2). The one place this shape is made.
 */
export function auditActorOf(actor: Actor): { kind: Actor['kind']; id: string; ip: string | null } {
  return { kind: actor.kind, id: actor.id, ip: actor.ip ?? null };
}

/** Defence in depth: services check the role too, so the CLI and any future caller get the same rule. */
export function assertRole(actor: Actor, allowed: readonly Role[]): void {
  if (!allowed.includes(actor.role)) {
    throw errors.roleNotAmong(actor.role, allowed);
  }
}

/** The merchant's own people and systems. */
export const merchantRoles: readonly Role[] = ['cashier', 'supervisor', 'merchant_owner', 'api_key'];

export interface MerchantScope {
  readonly merchantId: string;
  readonly acquirerId: string;
}

export function canSeeMerchant(actor: Actor, m: MerchantScope): boolean {
  switch (actor.role) {
    case 'platform_admin':
      return true;
    case 'acquirer_reviewer':
      return actor.acquirerId === m.acquirerId;
    case 'agent_staff':
      return false;
    default:
      return actor.merchantId === m.merchantId;
  }
}

/**
 * Which merchants' objects a caller's lists hold — the list form of `canSeeMerchant`, and the one
 * place it is decided: `{}` all of them (the platform), one merchant (its own people and keys,
 * operators included), one acquirer's merchants (its reviewers), or `null`: none (an agent's
 * staff, who reach terminals only, and an actor missing its tenant). A repository applies it as a
 * `WHERE` on the object's merchant, joined to `merchants` for an acquirer.
 */
export type MerchantListScope = Readonly<{ merchantId?: string; acquirerId?: string }> | null;

export function merchantListScope(actor: Actor): MerchantListScope {
  switch (actor.role) {
    case 'platform_admin':
      return {};
    case 'acquirer_reviewer':
      return actor.acquirerId ? { acquirerId: actor.acquirerId } : null;
    case 'agent_staff':
      return null;
    default:
      return actor.merchantId ? { merchantId: actor.merchantId } : null;
  }
}

export interface TerminalScope extends MerchantScope {
  readonly terminalId: string;
  readonly agentId: string;
}

export function canSeeTerminal(actor: Actor, t: TerminalScope): boolean {
  if (actor.role === 'agent_staff') return actor.agentId === t.agentId;
  return canSeeMerchant(actor, t);
}

/** Operators act on their own terminal only; everything else follows merchant scoping. */
export function canActOnTerminal(actor: Actor, t: TerminalScope): boolean {
  if (actor.kind === 'operator') return actor.terminalId === t.terminalId;
  return canSeeMerchant(actor, t);
}

export const systemActor: Actor = {
  kind: 'user',
  id: 'system',
  role: 'platform_admin',
  merchantId: null,
  terminalId: null,
  acquirerId: null,
  agentId: null,
  scopes: [],
  sessionId: null,
  mustChangePassword: false,
};
