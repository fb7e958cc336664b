import { domainError } from '@lib/contracts';

// Framework-free: the treasury decider imports this.

const ERROR_STATUS = {
  already_paused: 409,
  not_paused: 409,
  duplicate_approval: 409,
  treasurer_role_required: 403,
} as const;

export type TreasuryErrorCode = keyof typeof ERROR_STATUS;

/** A broken treasury rule with a stable `code` and its HTTP status. */
export class TreasuryError extends domainError('TreasuryError', ERROR_STATUS) {}
