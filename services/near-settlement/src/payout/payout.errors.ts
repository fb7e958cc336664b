import { domainError } from '@lib/contracts';

// Framework-free: the decider imports this, so nothing here may load Nest, kafkajs or TypeORM
// (@lib/contracts is framework-free).

export type PayoutErrorCode =
  | 'payout_not_found'
  | 'payout_conflict'
  | 'payout_finished'
  | 'live_transaction_exists'
  | 'no_live_transaction'
  | 'not_the_current_transaction'
  | 'transaction_already_recorded'
  | 'proof_insufficient'
  | 'outcome_not_final';

const STATUS: Record<PayoutErrorCode, number> = {
  payout_not_found: 404,
  payout_conflict: 409,
  payout_finished: 409,
  live_transaction_exists: 409,
  no_live_transaction: 409,
  not_the_current_transaction: 409,
  transaction_already_recorded: 409,
  proof_insufficient: 422,
  outcome_not_final: 422,
};

/** A Payout rule was broken; `code` is stable, `status` the HTTP status it maps to. */
export class PayoutError extends domainError('PayoutError', STATUS) {}
