/**
 * Every expected outcome that is not a success has a stable `code`. This catalog is the one
 * exhaustive map from code to HTTP status and title: a code missing here does not compile, and
 * `docs/errors.md` is kept in step with it by a test.
 */
export const errorCatalog = {
  // request shape
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'The body must be application/json' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  rate_limited: { status: 429, title: 'Too many requests' },
  busy: { status: 503, title: 'Too many refunds are still being processed: try again shortly' },
  contact_required: { status: 422, title: 'An e-mail or a phone number is required' },
  card_number_not_allowed: { status: 422, title: 'A card number is not accepted in this field' },
  // authentication and permission
  unauthenticated: { status: 401, title: 'A valid bearer token is required' },
  invalid_credentials: { status: 401, title: 'Wrong login or password' },
  forbidden: { status: 403, title: 'Your role may not do this' },
  insufficient_scope: { status: 403, title: 'The API key lacks the scope for this' },
  metrics_token_required: { status: 401, title: 'The metrics token is required' },
  metrics_loopback_only: { status: 403, title: 'Metrics are served to this machine only' },
  // parties
  not_found: { status: 404, title: 'No such object, or not yours to see' },
  already_exists: { status: 409, title: 'An object with that identity already exists' },
  // money
  currency_mismatch: { status: 422, title: 'The currency differs from the payment’s' },
  invalid_card_number: { status: 422, title: 'The card number is not valid' },
  payment_not_refundable: { status: 422, title: 'This payment cannot be refunded' },
  refund_exceeds_refundable: { status: 422, title: 'The refund exceeds the refundable amount' },
  payment_not_voidable: { status: 409, title: 'This payment can no longer be voided' },
  terminal_required: { status: 422, title: 'A terminal is required for this payment' },
  batch_empty: { status: 409, title: 'The terminal has no open batch to settle' },
  operator_not_deletable: { status: 409, title: 'This operator cannot be deleted' },
  operator_has_unsettled: { status: 409, title: 'The operator has transactions not yet settled' },
  batch_not_settled: { status: 409, title: 'The terminal’s open batch has sales: settle it first' },
  refund_password_invalid: { status: 403, title: 'The refund password is wrong' },
  refund_password_required: { status: 422, title: 'The refund password is required' },
  refund_password_unset: { status: 403, title: 'No refund password is set: set a new one first' },
  payment_not_matched: { status: 422, title: 'No payment matches that receipt reference and card' },
  refund_window_expired: { status: 422, title: 'The merchant’s refund window for this payment has passed' },
  partial_refund_not_allowed: { status: 422, title: 'The merchant accepts only full refunds' },
  refund_reason_not_accepted: { status: 422, title: 'The merchant does not accept refunds for this reason' },
  invalid_transition: { status: 409, title: 'The object is not in a state that allows this' },
  refund_failure_final: { status: 409, title: 'The refund failed for good and cannot be retried' },
  idempotency_conflict: { status: 409, title: 'The Idempotency-Key was used with a different request' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  // secrets: policy, history, expiry, lockout, recovery
  password_too_short: { status: 422, title: 'The new password is too short' },
  password_too_long: { status: 422, title: 'The new password is too long' },
  password_not_digits: { status: 422, title: 'The refund password must be digits only' },
  password_trivial: { status: 422, title: 'The new password is too easy to guess' },
  password_common: { status: 422, title: 'The new password is a common password' },
  password_personal_info: { status: 422, title: 'The new password contains personal information' },
  password_too_weak: { status: 422, title: 'The new password needs letters and digits' },
  password_reused: { status: 422, title: 'The new password was used recently' },
  password_confirmation_mismatch: { status: 422, title: 'The new password and its confirmation differ' },
  password_change_required: { status: 403, title: 'Change your password before anything else' },
  refund_password_expired: { status: 403, title: 'The refund password has expired' },
  refund_password_changed: { status: 409, title: 'The refund password changed meanwhile: enter the new one' },
  locked: { status: 423, title: 'Locked after too many failed attempts' },
  recovery_code_invalid: { status: 403, title: 'The code is wrong, expired or already used' },
  unlock_code_invalid: { status: 403, title: 'The unlock code is wrong, expired or already used' },
  challenge_invalid: { status: 422, title: 'The challenge is not valid for this terminal' },
  // terminal re-initialisation
  serial_confirmation_mismatch: { status: 422, title: 'The serial typed twice does not match the terminal’s' },
  step_up_password_invalid: { status: 403, title: 'The password you confirmed with is wrong' },
  reinitialize_backup_failed: { status: 424, title: 'The backup before re-initialisation failed' },
  terminal_reinitialized: { status: 409, title: 'The terminal was re-initialised: sign on again' },
  // disputes
  dispute_not_allowed: { status: 422, title: 'This refund or payment cannot be disputed now' },
  dispute_already_open: { status: 409, title: 'A dispute is already open for this payment' },
  dispute_escalation_too_early: { status: 409, title: 'The dispute cannot be escalated yet' },
  dispute_not_settled: { status: 409, title: 'No refund of this dispute has succeeded yet' },
  dispute_already_rated: { status: 409, title: 'The resolution was already rated' },
  attachment_type_not_allowed: { status: 422, title: 'This attachment type is not accepted' },
  attachment_too_large: { status: 413, title: 'The attachment is too large' },
  attachment_content_mismatch: { status: 422, title: 'The attachment’s content does not match its type' },
  share_link_expired: { status: 410, title: 'The share link has expired' },
  // webhooks
  webhook_url_invalid: { status: 422, title: 'The webhook URL is not allowed' },
  webhook_event_unknown: { status: 422, title: 'Unknown webhook event type' },
  webhook_endpoint_limit: { status: 422, title: 'The merchant has too many webhook endpoints' },
  // backups
  backup_corrupt: { status: 422, title: 'The backup file is damaged' },
  backup_truncated: { status: 422, title: 'The backup file is truncated' },
  backup_key_required: { status: 422, title: 'The backup is encrypted and no key was given' },
  backup_key_wrong: { status: 422, title: 'The backup key is wrong' },
  backup_not_encrypted: { status: 422, title: 'A backup key was given for a backup that is not encrypted' },
  backup_mismatch: { status: 422, title: 'The backup does not verify' },
  backup_from_newer_version: { status: 422, title: 'The backup was made by a newer RefundDesk' },
  backup_target_not_empty: { status: 409, title: 'The restore target already holds data' },
  backup_secret_key_mismatch: { status: 422, title: 'The secret key does not match the backup' },
  backup_file_unavailable: { status: 410, title: 'The backup file is no longer available' },
  // bugs
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/** An expected, named failure. Routes never catch these: the error hook renders them as problem+json. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly extra: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, detail?: string, extra?: Record<string, unknown>) {
    super(detail ?? errorCatalog[code].title);
    this.name = 'AppError';
    this.code = code;
    this.detail = detail;
    this.extra = extra;
  }
  get status(): number {
    return errorCatalog[this.code].status;
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (detail = 'Your role may not do this') => new AppError('forbidden', detail);
