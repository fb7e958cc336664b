import { domainError } from '@lib/contracts';

// Framework-free: the decider imports this, so it must not load Nest, kafkajs or TypeORM
// (@lib/contracts is framework-free).

/** Why an approved disbursement is not released by a treasury run. */
export const WAITING_REASONS = [
  'paused',
  'held',
  'grant_not_active',
  'kyc',
  'payout_account_cooldown',
  'approvals',
  'daily_limit',
] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

const ERROR_STATUS = {
  disbursement_not_found: 404,
  disbursement_cancelled: 409,
  not_awaiting_approval: 409,
  already_approved: 409,
  duplicate_approval: 409,
  not_holdable: 409,
  already_held: 409,
  not_held: 409,
  already_released: 409,
  already_cancelled: 409,
  not_failed: 409,
  not_approved: 409,
  release_blocked: 409,
  treasurer_role_required: 403,
  acceptor_cannot_approve: 403,
  founder_cannot_approve: 403,
} as const;

export type DisbursementErrorCode = keyof typeof ERROR_STATUS;

/**
 * A broken Disbursement rule with a stable `code` and its HTTP status (409 wrong state, 403
 * separation of duties, 404 no such stream). `release_blocked` carries the waiting reason.
 */
export class DisbursementError extends domainError('DisbursementError', ERROR_STATUS) {
  constructor(
    code: DisbursementErrorCode,
    message: string,
    readonly reason?: WaitingReason,
  ) {
    super(code, message);
  }
}
