import { domainError } from '@lib/contracts';

// The Grant aggregate's error codes. Framework-free (the decider imports it): ProblemError comes
// from @lib/contracts, and the platform's filter writes it as application/problem+json.

const ERROR_STATUS = {
  grant_not_found: 404,
  not_awarded: 409,
  not_changeable: 409,
  grant_closed: 409,
  no_payout_account_change: 409,
  payout_account_unchanged: 409,
  payout_account_mismatch: 409,
  admin_role_required: 403,
  founder_cannot_approve: 403,
  signer_not_payout_account: 403,
  terms_changed: 409,
  invalid_terms: 422,
  kyc_expiry_not_in_future: 422,
  kyc_expiry_not_allowed: 422,
  unknown_tranche: 422,
  invalid_cooldown: 422,
} as const;

export type GrantErrorCode = keyof typeof ERROR_STATUS;

/**
 * A broken Grant rule. `code` is stable; `status` is the HTTP hint (404 no such grant — also to
 * a founder who does not own it, 409 wrong state, 403 who may act, 422 invalid content).
 */
export class GrantError extends domainError('GrantError', ERROR_STATUS) {}
