import { domainError } from '@lib/contracts';

// Framework-free on purpose: the decider imports this file, and nothing here may load Nest,
// kafkajs or TypeORM (@lib/contracts is framework-free). A MilestoneError is a ProblemError.

const ERROR_STATUS = {
  milestone_not_found: 404,
  not_owner: 403,
  review_role_required: 403,
  founder_cannot_review: 403,
  milestone_cancelled: 409,
  already_accepted: 409,
  already_submitted: 409,
  not_submitted: 409,
} as const;

export type MilestoneErrorCode = keyof typeof ERROR_STATUS;

/**
 * A broken Milestone rule. `code` is stable; `status` is the HTTP hint (404 no such milestone,
 * 403 ownership or separation of duties, 409 wrong state).
 */
export class MilestoneError extends domainError('MilestoneError', ERROR_STATUS) {}
