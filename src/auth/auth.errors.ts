import { AppError } from '../errors.js';

/** The auth domain's expected outcomes (codes in src/errors.ts, documented in docs/errors.md). */

/** Wrong e-mail, wrong password, unknown terminal or operator: one neutral answer for all. */
export const invalidCredentials = () => new AppError('invalid_credentials');

/** A request without a bearer token. */
export const unauthenticated = () => new AppError('unauthenticated');

export const tokenUnknown = () => new AppError('unauthenticated', 'the token is unknown, expired or revoked');

export const sessionIdle = () => new AppError('unauthenticated', 'the session was idle too long');

export const apiKeyUnknown = () => new AppError('unauthenticated', 'the API key is unknown or revoked');

/** The route's roles (the auth hook). */
export const roleNotAllowed = (role: string) => new AppError('forbidden', `a ${role} may not do this`);

/** A service's own role check (`assertRole`), naming the roles allowed. */
export const roleNotAmong = (role: string, allowed: readonly string[]) =>
  new AppError('forbidden', `a ${role} may not do this (allowed: ${allowed.join(', ')})`);

export const insufficientScope = (scope: string) => new AppError('insufficient_scope', `this needs the ${scope} scope`);

export const passwordChangeRequired = () =>
  new AppError('password_change_required', 'change your password first: PUT /api/v1/auth/password');

/** A merchant or agent role created without its merchant / agent. */
export const tenantRequired = (role: string, tenant: string) =>
  new AppError('validation_failed', `role ${role} needs ${tenant}`);

export const userExists = (email: string) => new AppError('already_exists', `user ${email} exists`);
