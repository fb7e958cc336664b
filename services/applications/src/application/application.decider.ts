import { type Actor, type Command } from '@lib/contracts';
import {
  type Application,
  type ApplicationChanges,
  type ApplicationEvent,
  type ApplicationFields,
  type ApplicationState,
  type ApprovedTrancheData,
  applyChanges,
  assertNever,
  countingReviews,
  FINAL_STATUSES,
  type GrantTerms,
  type ProposedMilestone,
  type Recommendation,
  type RubricScores,
  toChangesData,
  toFieldsData,
  toMoneyData,
} from './application';
import { ApplicationError } from './application.errors';

// The Application aggregate's commands and decide — pure: no I/O, no clock, no ids made here.
// Time (`now`) and the acting identity arrive on every command; ids arrive on CreateDraft; policy
// (the review quorum) is an argument, from the service's config. Shape, limits and decimals
// (non-empty lists, positive amounts, scores 1–5, one tranche per milestone, non-blank reasons)
// are the DTO's (application.dto.ts); this file keeps the rules that need the application's state
// or that tie one amount to another (the sums).

export type { Actor };

/** Rules the deployment sets (config), not the command. */
export interface ApplicationPolicy {
  /** Non-conflicted reviews of the current round an approval needs. */
  reviewQuorum: number;
}

////////// Commands

export type CreateDraft = Command<
  'CreateDraft',
  { applicationId: string; fields: ApplicationFields }
>;
export type EditApplication = Command<'EditApplication', { changes: ApplicationChanges }>;
export type SubmitApplication = Command<'SubmitApplication', Record<string, never>>;
export type WithdrawApplication = Command<'WithdrawApplication', { reason?: string }>;
export type AssignReviewers = Command<'AssignReviewers', { reviewers: string[] }>;
export type ReviewInput =
  | {
      conflictOfInterest: false;
      scores: RubricScores;
      recommendation: Recommendation;
      comment: string;
    }
  | { conflictOfInterest: true; comment?: string };
export type SubmitReview = Command<'SubmitReview', ReviewInput>;
export type DecisionInput =
  | { decision: 'approve'; reason?: string; grant: GrantTerms }
  | { decision: 'reject'; reason: string }
  | { decision: 'request_changes'; reason: string };
export type DecideApplication = Command<'DecideApplication', DecisionInput>;

export type ApplicationCommand =
  | CreateDraft
  | EditApplication
  | SubmitApplication
  | WithdrawApplication
  | AssignReviewers
  | SubmitReview
  | DecideApplication;

////////// decide

export function decide(
  command: ApplicationCommand,
  state: ApplicationState,
  policy: ApplicationPolicy,
): ApplicationEvent[] {
  if (command.type === 'CreateDraft') return createDraft(command, state);
  if (state.status === 'empty') {
    throw new ApplicationError('application_not_found', 'application does not exist');
  }
  switch (command.type) {
    case 'EditApplication':
      return editApplication(command, state);
    case 'SubmitApplication':
      return submitApplication(command, state);
    case 'WithdrawApplication':
      return withdrawApplication(command, state);
    case 'AssignReviewers':
      return assignReviewers(command, state);
    case 'SubmitReview':
      return submitReview(command, state);
    case 'DecideApplication':
      return decideApplication(command, state, policy);
    default:
      return assertNever(command);
  }
}

function createDraft(command: CreateDraft, state: ApplicationState): ApplicationEvent[] {
  if (state.status !== 'empty') {
    throw new ApplicationError('application_exists', 'application already exists');
  }
  const { applicationId, fields } = command.data;
  checkMilestoneSum(fields);
  return [
    {
      type: 'ApplicationDrafted',
      data: {
        applicationId,
        owner: command.metadata.actor.sub,
        fields: toFieldsData(fields),
        draftedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function editApplication(command: EditApplication, state: Application): ApplicationEvent[] {
  requireOwnerWhileOpen(command.metadata.actor, state, 'not_editable', 'edited');
  const { changes } = command.data;
  const merged = applyChanges(state.fields, changes);
  checkMilestoneSum(merged);
  const changesData = toChangesData(changes);
  if (Object.keys(changesData).length === 0) return [];
  return [
    {
      type: 'ApplicationEdited',
      data: {
        applicationId: state.id,
        changes: changesData,
        editedBy: command.metadata.actor.sub,
        editedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function submitApplication(command: SubmitApplication, state: Application): ApplicationEvent[] {
  requireOwnerWhileOpen(command.metadata.actor, state, 'not_submittable', 'submitted');
  const today = isoDate(command.metadata.now);
  const stale = state.fields.milestones
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.dueDate <= today);
  if (stale.length > 0) {
    throw new ApplicationError(
      'milestone_due_date_passed',
      'every milestone must be due after the submission date',
      stale.map(({ i }) => ({
        field: `milestones.${i}.dueDate`,
        code: 'date_not_in_future',
        message: `due date must be after ${today}`,
      })),
    );
  }
  const { fields } = state;
  return [
    {
      type: 'ApplicationSubmitted',
      data: {
        applicationId: state.id,
        owner: state.owner,
        title: fields.title,
        category: fields.category,
        requestedFunding: toMoneyData(fields.requestedFunding),
        round: state.round + 1,
        resubmission: state.status === 'changes_requested',
        submittedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function withdrawApplication(command: WithdrawApplication, state: Application): ApplicationEvent[] {
  requireOwner(command.metadata.actor, state);
  if (FINAL_STATUSES.includes(state.status)) {
    throw new ApplicationError('already_final', `application is already ${state.status}`);
  }
  const { reason } = command.data;
  return [
    {
      type: 'ApplicationWithdrawn',
      data: {
        applicationId: state.id,
        owner: state.owner,
        previousStatus: state.status,
        ...(reason ? { reason } : {}),
        withdrawnAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function assignReviewers(command: AssignReviewers, state: Application): ApplicationEvent[] {
  const { actor } = command.metadata;
  requireAdmin(actor);
  if (state.status !== 'submitted' && state.status !== 'under_review') {
    throw new ApplicationError(
      'not_assignable',
      `reviewers can be assigned only to a submitted application or one under review (status: ${state.status})`,
    );
  }
  const requested = [...new Set(command.data.reviewers)];
  if (requested.includes(state.owner)) {
    throw new ApplicationError(
      'owner_cannot_review',
      'the applicant cannot review their own application',
    );
  }
  const conflicted = requested.filter((r) => state.conflicted.includes(r));
  if (conflicted.length > 0) {
    throw new ApplicationError(
      'reviewer_conflicted',
      `declared a conflict of interest: ${conflicted.join(', ')}`,
    );
  }
  const added = requested.filter((r) => !state.reviewers.includes(r));
  // Already under review with nobody new: nothing to record. From `submitted` the assignment
  // starts the review round even when the same reviewers review again after a resubmission.
  if (state.status === 'under_review' && added.length === 0) return [];
  return [
    {
      type: 'ReviewersAssigned',
      data: {
        applicationId: state.id,
        reviewers: [...state.reviewers, ...added],
        added,
        round: state.round,
        assignedBy: actor.sub,
        assignedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function submitReview(command: SubmitReview, state: Application): ApplicationEvent[] {
  const reviewer = command.metadata.actor.sub;
  if (state.status !== 'under_review') {
    throw new ApplicationError(
      'not_under_review',
      `reviews are accepted only while under review (status: ${state.status})`,
    );
  }
  if (!state.reviewers.includes(reviewer)) {
    throw new ApplicationError('reviewer_not_assigned', 'only assigned reviewers may review');
  }
  if (state.conflicted.includes(reviewer)) {
    throw new ApplicationError(
      'reviewer_conflicted',
      'a reviewer who declared a conflict of interest cannot review this application',
    );
  }
  const now = command.metadata.now.toISOString();
  const input = command.data;
  if (input.conflictOfInterest) {
    // Allowed even after reviewing: the earlier review then stops counting towards quorum.
    return [
      {
        type: 'ConflictOfInterestDeclared',
        data: {
          applicationId: state.id,
          reviewer,
          ...(input.comment ? { comment: input.comment } : {}),
          declaredAt: now,
        },
      },
    ];
  }
  if (state.reviews.some((r) => r.reviewer === reviewer && r.round === state.round)) {
    throw new ApplicationError(
      'review_already_submitted',
      'this reviewer already reviewed the current round',
    );
  }
  return [
    {
      type: 'ReviewSubmitted',
      data: {
        applicationId: state.id,
        reviewer,
        round: state.round,
        scores: { ...input.scores },
        recommendation: input.recommendation,
        comment: input.comment,
        submittedAt: now,
      },
    },
  ];
}

function decideApplication(
  command: DecideApplication,
  state: Application,
  policy: ApplicationPolicy,
): ApplicationEvent[] {
  const { actor, now } = command.metadata;
  requireAdmin(actor);
  if (actor.sub === state.owner) {
    throw new ApplicationError(
      'owner_cannot_decide',
      'the applicant cannot decide their own application',
    );
  }
  if (state.conflicted.includes(actor.sub)) {
    throw new ApplicationError(
      'decider_conflicted',
      'an admin who declared a conflict of interest cannot decide this application',
    );
  }
  if (state.status !== 'under_review') {
    throw new ApplicationError(
      'not_under_review',
      `only an application under review can be decided (status: ${state.status})`,
    );
  }
  const input = command.data;
  const at = now.toISOString();
  switch (input.decision) {
    case 'approve': {
      const quorum = policy.reviewQuorum;
      const reviewedBy = countingReviews(state).map((r) => r.reviewer);
      if (reviewedBy.length < quorum) {
        throw new ApplicationError(
          'quorum_not_met',
          `approval needs ${quorum} reviews without conflict of interest; ${reviewedBy.length} so far`,
        );
      }
      const tranches = checkGrantTerms(input.grant, state.fields);
      return [
        {
          type: 'ApplicationApproved',
          data: {
            applicationId: state.id,
            owner: state.owner,
            payoutAccount: state.fields.payoutAccount,
            title: state.fields.title,
            grant: {
              asset: input.grant.asset,
              amount: input.grant.amount.toString(),
              tranches,
            },
            ...(input.reason?.trim() ? { reason: input.reason } : {}),
            reviewedBy,
            decidedBy: actor.sub,
            approvedAt: at,
          },
        },
      ];
    }
    case 'reject':
      return [
        {
          type: 'ApplicationRejected',
          data: {
            applicationId: state.id,
            owner: state.owner,
            reason: input.reason,
            decidedBy: actor.sub,
            rejectedAt: at,
          },
        },
      ];
    case 'request_changes':
      return [
        {
          type: 'ChangesRequested',
          data: {
            applicationId: state.id,
            owner: state.owner,
            reason: input.reason,
            round: state.round,
            decidedBy: actor.sub,
            requestedAt: at,
          },
        },
      ];
    default:
      return assertNever(input);
  }
}

////////// rules

function requireOwner(actor: Actor, state: Application): void {
  if (actor.sub !== state.owner) {
    throw new ApplicationError('not_owner', 'only the applicant can change this application');
  }
}

/** The owner, while the application is a draft or has changes requested. */
function requireOwnerWhileOpen(
  actor: Actor,
  state: Application,
  code: 'not_editable' | 'not_submittable',
  verb: 'edited' | 'submitted',
): void {
  requireOwner(actor, state);
  if (state.status !== 'draft' && state.status !== 'changes_requested') {
    throw new ApplicationError(
      code,
      `only a draft or an application with changes requested can be ${verb} (status: ${state.status})`,
    );
  }
}

function requireAdmin(actor: Actor): void {
  if (!actor.roles.includes('admin')) {
    throw new ApplicationError('admin_role_required', 'this action needs the admin role');
  }
}

function checkMilestoneSum(fields: ApplicationFields): void {
  const sum = fields.milestones.reduce((total, m) => total + m.amount, 0n);
  if (sum !== fields.requestedFunding.amount) {
    throw new ApplicationError(
      'milestones_sum_mismatch',
      `milestone amounts sum to ${sum}, requested funding is ${fields.requestedFunding.amount} base units`,
      [
        {
          field: 'milestones',
          code: 'sum_mismatch',
          message: 'milestone amounts must sum to requestedFunding.amount',
        },
      ],
    );
  }
}

/** Checks grant terms against the application; returns the tranches with milestone details. */
function checkGrantTerms(grant: GrantTerms, fields: ApplicationFields): ApprovedTrancheData[] {
  const requested = fields.requestedFunding;
  if (grant.asset !== requested.asset) {
    throw new ApplicationError(
      'grant_asset_mismatch',
      `grant asset ${grant.asset} differs from the requested ${requested.asset}`,
      [{ field: 'grant.asset', code: 'asset_mismatch', message: `must be ${requested.asset}` }],
    );
  }
  if (grant.amount > requested.amount) {
    throw new ApplicationError(
      'grant_exceeds_request',
      `grant amount ${grant.amount} exceeds the requested ${requested.amount} base units`,
      [
        {
          field: 'grant.amount',
          code: 'exceeds_request',
          message: 'must not exceed the requested amount',
        },
      ],
    );
  }
  const tranches: ApprovedTrancheData[] = [];
  for (const [i, tranche] of grant.tranches.entries()) {
    // Numbered from 1; the DTO has checked it is a whole number from 1 to LIMITS.milestones.
    const milestone: ProposedMilestone | undefined = fields.milestones[tranche.milestone - 1];
    if (!milestone) {
      throw new ApplicationError(
        'unknown_milestone',
        `tranche ${i} refers to milestone ${tranche.milestone}, which the application does not propose`,
        [
          {
            field: `grant.tranches.${i}.milestone`,
            code: 'unknown_milestone',
            message: 'no such milestone',
          },
        ],
      );
    }
    tranches.push({
      milestone: tranche.milestone,
      title: milestone.title,
      dueDate: milestone.dueDate,
      amount: tranche.amount.toString(),
    });
  }
  const sum = grant.tranches.reduce((total, t) => total + t.amount, 0n);
  if (sum !== grant.amount) {
    throw new ApplicationError(
      'tranche_sum_mismatch',
      `tranches sum to ${sum}, the grant amount is ${grant.amount} base units`,
      [
        {
          field: 'grant.tranches',
          code: 'sum_mismatch',
          message: 'tranche amounts must sum to grant.amount',
        },
      ],
    );
  }
  return tranches;
}

function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}
