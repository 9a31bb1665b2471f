// Imports nothing: `config.ts` checks the environment against these bounds at startup, and the
// password policy (which reads the config through the context) uses them too; a file of its own
// keeps that from being an import cycle.

/**
 * The bounds no policy may cross, the platform's (from the environment) or a merchant's override,
 * so that nobody can weaken the rules below PCI DSS: at most 10 tries and locked ≥ 30 minutes
 * (8.3.4), expiry ≤ 90 days (8.3.9; 0 = never is allowed too, and ≥ 15 keeps it above the
 * 14-day reminder), history ≥ 4 (8.3.7), refund PINs 6–32 digits.
 */
export const POLICY_BOUNDS = {
  refundPasswordLength: { min: 6, max: 32 },
  expiryDays: { min: 15, max: 90 },
  historySize: { min: 4, max: 24 },
  maxFailures: { min: 3, max: 10 },
  lockMinutes: { min: 30, max: 1440 },
} as const;
