import { domainError } from '@lib/contracts';

// The Application aggregate's error codes. @lib/contracts holds ProblemError without a framework,
// so the decider stays free of Nest; the platform's problem filter answers it as problem+json.

const ERROR_STATUS = {
  application_not_found: 404,
  application_exists: 409,
  not_editable: 409,
  not_submittable: 409,
  already_final: 409,
  not_assignable: 409,
  not_under_review: 409,
  review_already_submitted: 409,
  quorum_not_met: 409,
  not_owner: 403,
  admin_role_required: 403,
  owner_cannot_review: 403,
  owner_cannot_decide: 403,
  reviewer_not_assigned: 403,
  reviewer_conflicted: 403,
  decider_conflicted: 403,
  milestones_sum_mismatch: 422,
  milestone_due_date_passed: 422,
  grant_asset_mismatch: 422,
  grant_exceeds_request: 422,
  unknown_milestone: 422,
  tranche_sum_mismatch: 422,
} as const;

export type ApplicationErrorCode = keyof typeof ERROR_STATUS;

/**
 * A broken Application rule. `code` is stable; `status` is the HTTP hint (409 wrong state,
 * 403 separation of duties / ownership, 422 invalid content or grant terms, 404 no such stream).
 */
export class ApplicationError extends domainError('ApplicationError', ERROR_STATUS) {}
