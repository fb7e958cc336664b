import { type FieldProblem, ProblemError } from '@lib/platform';

// The Application aggregate as a pure decider: no I/O, no clock, no ids made here.
// Time (`now`) and the acting identity arrive on every command; ids arrive on CreateDraft.

////////// Values

export const APPLICATION_CATEGORIES = [
  'agents',
  'infrastructure',
  'data',
  'model-training',
  'consumer-app',
  'research',
  'other',
] as const;
export type ApplicationCategory = (typeof APPLICATION_CATEGORIES)[number];

export const RECOMMENDATIONS = ['approve', 'reject', 'request_changes'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

export const RUBRIC_CRITERIA = ['team', 'technical', 'impact', 'ecosystemFit'] as const;
export type RubricCriterion = (typeof RUBRIC_CRITERIA)[number];
/** Each criterion scored 1–5 (integers). */
export type RubricScores = Record<RubricCriterion, number>;

export const DEFAULT_REVIEW_QUORUM = 2;

/** Asset code as configured per network (`NEAR`, `USDC`, …); the amount is in whole base units. */
export interface Money {
  asset: string;
  amount: bigint;
}

export interface TeamMember {
  name: string;
  role: string;
  contact?: string;
}

/** A proposed milestone; its number is its 1-based position in the list. */
export interface ProposedMilestone {
  title: string;
  description: string;
  /** `YYYY-MM-DD` */
  dueDate: string;
  /** Base units of the requested funding's asset. */
  amount: bigint;
}

export interface ApplicationFields {
  title: string;
  summary: string;
  category: ApplicationCategory;
  team: TeamMember[];
  requestedFunding: Money;
  payoutAccount: string;
  milestones: ProposedMilestone[];
  /** https links (website, repository, deck). */
  links: string[];
}

/** Fields an edit may change. Funding and milestones change together (they must sum up). */
export type ApplicationChanges = Partial<
  Omit<ApplicationFields, 'requestedFunding' | 'milestones'>
> & {
  funding?: { requestedFunding: Money; milestones: ProposedMilestone[] };
};

export interface GrantTranche {
  /** 1-based number of a proposed milestone. */
  milestone: number;
  amount: bigint;
}

export interface GrantTerms {
  asset: string;
  amount: bigint;
  tranches: GrantTranche[];
}

/** Who issues a command: the JWT `sub` and roles. */
export interface Actor {
  sub: string;
  roles: readonly string[];
}

interface CommandMetadata {
  now: Date;
  actor: Actor;
}

////////// Commands

export type CreateDraft = {
  type: 'CreateDraft';
  data: { applicationId: string; fields: ApplicationFields };
  metadata: CommandMetadata;
};
export type EditApplication = {
  type: 'EditApplication';
  data: { changes: ApplicationChanges };
  metadata: CommandMetadata;
};
export type SubmitApplication = {
  type: 'SubmitApplication';
  data: Record<string, never>;
  metadata: CommandMetadata;
};
export type WithdrawApplication = {
  type: 'WithdrawApplication';
  data: { reason?: string };
  metadata: CommandMetadata;
};
export type AssignReviewers = {
  type: 'AssignReviewers';
  data: { reviewers: string[] };
  metadata: CommandMetadata;
};
export type ReviewInput =
  | {
      conflictOfInterest: false;
      scores: RubricScores;
      recommendation: Recommendation;
      comment: string;
    }
  | { conflictOfInterest: true; comment?: string };
export type SubmitReview = {
  type: 'SubmitReview';
  data: ReviewInput;
  metadata: CommandMetadata;
};
export type DecisionInput =
  | { decision: 'approve'; reason?: string; grant: GrantTerms }
  | { decision: 'reject'; reason: string }
  | { decision: 'request_changes'; reason: string };
export type DecideApplication = {
  type: 'DecideApplication';
  /** `reviewQuorum` comes from service config; DEFAULT_REVIEW_QUORUM when absent. */
  data: DecisionInput & { reviewQuorum?: number };
  metadata: CommandMetadata;
};

export type ApplicationCommand =
  | CreateDraft
  | EditApplication
  | SubmitApplication
  | WithdrawApplication
  | AssignReviewers
  | SubmitReview
  | DecideApplication;

////////// Events (amounts are strings of whole base units; times are ISO-8601 strings)

export interface MoneyData {
  asset: string;
  amount: string;
}
export interface ProposedMilestoneData {
  title: string;
  description: string;
  dueDate: string;
  amount: string;
}
export interface ApplicationFieldsData {
  title: string;
  summary: string;
  category: ApplicationCategory;
  team: TeamMember[];
  requestedFunding: MoneyData;
  payoutAccount: string;
  milestones: ProposedMilestoneData[];
  links: string[];
}
export type ApplicationChangesData = Partial<
  Omit<ApplicationFieldsData, 'requestedFunding' | 'milestones'>
> & {
  funding?: { requestedFunding: MoneyData; milestones: ProposedMilestoneData[] };
};

export type ApplicationDrafted = {
  type: 'ApplicationDrafted';
  data: {
    applicationId: string;
    owner: string;
    fields: ApplicationFieldsData;
    draftedAt: string;
  };
};
export type ApplicationEdited = {
  type: 'ApplicationEdited';
  data: {
    applicationId: string;
    changes: ApplicationChangesData;
    editedBy: string;
    editedAt: string;
  };
};
export type ApplicationSubmitted = {
  type: 'ApplicationSubmitted';
  data: {
    applicationId: string;
    owner: string;
    title: string;
    category: ApplicationCategory;
    requestedFunding: MoneyData;
    /** 1 for the first submission, +1 on every resubmission after changes were requested. */
    round: number;
    resubmission: boolean;
    submittedAt: string;
  };
};
export type ApplicationWithdrawn = {
  type: 'ApplicationWithdrawn';
  data: {
    applicationId: string;
    owner: string;
    previousStatus: ApplicationStatus;
    reason?: string;
    withdrawnAt: string;
  };
};
export type ReviewersAssigned = {
  type: 'ReviewersAssigned';
  data: {
    applicationId: string;
    /** The complete set of assigned reviewers after this event. */
    reviewers: string[];
    /** Reviewers that were not assigned before. */
    added: string[];
    round: number;
    assignedBy: string;
    assignedAt: string;
  };
};
export type ReviewSubmitted = {
  type: 'ReviewSubmitted';
  data: {
    applicationId: string;
    reviewer: string;
    round: number;
    scores: RubricScores;
    recommendation: Recommendation;
    comment: string;
    submittedAt: string;
  };
};
export type ConflictOfInterestDeclared = {
  type: 'ConflictOfInterestDeclared';
  data: {
    applicationId: string;
    reviewer: string;
    comment?: string;
    declaredAt: string;
  };
};
export interface ApprovedTrancheData {
  milestone: number;
  title: string;
  dueDate: string;
  amount: string;
}
export type ApplicationApproved = {
  type: 'ApplicationApproved';
  data: {
    applicationId: string;
    owner: string;
    payoutAccount: string;
    title: string;
    grant: { asset: string; amount: string; tranches: ApprovedTrancheData[] };
    reason?: string;
    /** Non-conflicted reviewers whose reviews of the current round made the quorum. */
    reviewedBy: string[];
    decidedBy: string;
    approvedAt: string;
  };
};
export type ApplicationRejected = {
  type: 'ApplicationRejected';
  data: {
    applicationId: string;
    owner: string;
    reason: string;
    decidedBy: string;
    rejectedAt: string;
  };
};
export type ChangesRequested = {
  type: 'ChangesRequested';
  data: {
    applicationId: string;
    owner: string;
    reason: string;
    round: number;
    decidedBy: string;
    requestedAt: string;
  };
};

export type ApplicationEvent =
  | ApplicationDrafted
  | ApplicationEdited
  | ApplicationSubmitted
  | ApplicationWithdrawn
  | ReviewersAssigned
  | ReviewSubmitted
  | ConflictOfInterestDeclared
  | ApplicationApproved
  | ApplicationRejected
  | ChangesRequested;

export type ApplicationEventType = ApplicationEvent['type'];

////////// State

export type ApplicationStatus =
  | 'draft'
  | 'submitted'
  | 'under_review'
  | 'changes_requested'
  | 'approved'
  | 'rejected'
  | 'withdrawn';

export const FINAL_STATUSES: readonly ApplicationStatus[] = ['approved', 'rejected', 'withdrawn'];

export interface Review {
  reviewer: string;
  round: number;
  scores: RubricScores;
  recommendation: Recommendation;
  comment: string;
  submittedAt: string;
}

export type Decision =
  | { decision: 'approve'; grant: GrantTerms; reason?: string; decidedBy: string; at: string }
  | { decision: 'reject'; reason: string; decidedBy: string; at: string }
  | { decision: 'request_changes'; reason: string; decidedBy: string; at: string };

export type EmptyApplication = { status: 'empty' };

export interface Application {
  status: ApplicationStatus;
  id: string;
  /** The founder's JWT `sub` (a NEAR account id for NEP-413 sign-ins). */
  owner: string;
  fields: ApplicationFields;
  /** Review round: 0 while never submitted, 1 after the first submission, +1 per resubmission. */
  round: number;
  reviewers: string[];
  /** Every review ever submitted, all rounds. Quorum counts only the current round. */
  reviews: Review[];
  /** Reviewers who declared a conflict: they may neither review nor decide, in any round. */
  conflicted: string[];
  /** The latest decision (request_changes may be followed by another one). */
  decision?: Decision;
  createdAt: string;
  updatedAt: string;
}

export type ApplicationState = EmptyApplication | Application;

export const initialState = (): ApplicationState => ({ status: 'empty' });

////////// Errors

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
  invalid_fields: 422,
  milestones_sum_mismatch: 422,
  milestone_due_date_passed: 422,
  reviewers_required: 422,
  invalid_review: 422,
  reason_required: 422,
  invalid_grant_terms: 422,
  grant_asset_mismatch: 422,
  grant_exceeds_request: 422,
  unknown_milestone: 422,
  duplicate_tranche: 422,
  tranche_sum_mismatch: 422,
} as const;

export type ApplicationErrorCode = keyof typeof ERROR_STATUS;

/**
 * A broken Application rule. `code` is stable; `status` is the HTTP hint (409 wrong state,
 * 403 separation of duties / ownership, 422 invalid content or grant terms, 404 no such stream).
 */
export class ApplicationError extends ProblemError {
  constructor(
    override readonly code: ApplicationErrorCode,
    message: string,
    errors?: FieldProblem[],
  ) {
    super(ERROR_STATUS[code], code, message, errors);
    this.name = 'ApplicationError';
  }
}

////////// decide

export function decide(command: ApplicationCommand, state: ApplicationState): ApplicationEvent[] {
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
      return decideApplication(command, state);
    default:
      return assertNever(command);
  }
}

function createDraft(command: CreateDraft, state: ApplicationState): ApplicationEvent[] {
  if (state.status !== 'empty') {
    throw new ApplicationError('application_exists', 'application already exists');
  }
  const { applicationId, fields } = command.data;
  checkFields(fields);
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
  requireOwner(command.metadata.actor, state);
  if (state.status !== 'draft' && state.status !== 'changes_requested') {
    throw new ApplicationError(
      'not_editable',
      `only a draft or an application with changes requested can be edited (status: ${state.status})`,
    );
  }
  const { changes } = command.data;
  const merged = applyChanges(state.fields, changes);
  checkFields(merged);
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
  requireOwner(command.metadata.actor, state);
  if (state.status !== 'draft' && state.status !== 'changes_requested') {
    throw new ApplicationError(
      'not_submittable',
      `only a draft or an application with changes requested can be submitted (status: ${state.status})`,
    );
  }
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
  if (requested.length === 0) {
    throw new ApplicationError('reviewers_required', 'at least one reviewer is required');
  }
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
  checkReview(input.scores, input.recommendation);
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

function decideApplication(command: DecideApplication, state: Application): ApplicationEvent[] {
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
      const quorum = input.reviewQuorum ?? DEFAULT_REVIEW_QUORUM;
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
            reason: requireReason(input.reason),
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
            reason: requireReason(input.reason),
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

////////// evolve

export function evolve(state: ApplicationState, event: ApplicationEvent): ApplicationState {
  if (event.type === 'ApplicationDrafted') {
    const { data } = event;
    return {
      status: 'draft',
      id: data.applicationId,
      owner: data.owner,
      fields: fromFieldsData(data.fields),
      round: 0,
      reviewers: [],
      reviews: [],
      conflicted: [],
      createdAt: data.draftedAt,
      updatedAt: data.draftedAt,
    };
  }
  // Events of a stream that was never drafted cannot exist; ignore rather than crash a replay.
  if (state.status === 'empty') return state;
  switch (event.type) {
    case 'ApplicationEdited': {
      const changes = fromChangesData(event.data.changes);
      return {
        ...state,
        fields: applyChanges(state.fields, changes),
        updatedAt: event.data.editedAt,
      };
    }
    case 'ApplicationSubmitted':
      return {
        ...state,
        status: 'submitted',
        round: event.data.round,
        decision: undefined,
        updatedAt: event.data.submittedAt,
      };
    case 'ApplicationWithdrawn':
      return { ...state, status: 'withdrawn', updatedAt: event.data.withdrawnAt };
    case 'ReviewersAssigned':
      return {
        ...state,
        status: 'under_review',
        reviewers: [...event.data.reviewers],
        updatedAt: event.data.assignedAt,
      };
    case 'ReviewSubmitted': {
      const { applicationId: _id, ...review } = event.data;
      return { ...state, reviews: [...state.reviews, review], updatedAt: review.submittedAt };
    }
    case 'ConflictOfInterestDeclared':
      return {
        ...state,
        conflicted: state.conflicted.includes(event.data.reviewer)
          ? state.conflicted
          : [...state.conflicted, event.data.reviewer],
        updatedAt: event.data.declaredAt,
      };
    case 'ApplicationApproved': {
      const { grant } = event.data;
      return {
        ...state,
        status: 'approved',
        decision: {
          decision: 'approve',
          grant: {
            asset: grant.asset,
            amount: BigInt(grant.amount),
            tranches: grant.tranches.map((t) => ({
              milestone: t.milestone,
              amount: BigInt(t.amount),
            })),
          },
          ...(event.data.reason ? { reason: event.data.reason } : {}),
          decidedBy: event.data.decidedBy,
          at: event.data.approvedAt,
        },
        updatedAt: event.data.approvedAt,
      };
    }
    case 'ApplicationRejected':
      return {
        ...state,
        status: 'rejected',
        decision: {
          decision: 'reject',
          reason: event.data.reason,
          decidedBy: event.data.decidedBy,
          at: event.data.rejectedAt,
        },
        updatedAt: event.data.rejectedAt,
      };
    case 'ChangesRequested':
      return {
        ...state,
        status: 'changes_requested',
        decision: {
          decision: 'request_changes',
          reason: event.data.reason,
          decidedBy: event.data.decidedBy,
          at: event.data.requestedAt,
        },
        updatedAt: event.data.requestedAt,
      };
    default:
      return assertNever(event);
  }
}

/** Folds a stream's events into its state. */
export function evolveAll(
  events: readonly ApplicationEvent[],
  state = initialState(),
): ApplicationState {
  return events.reduce(evolve, state);
}

/** Reviews of the current round by reviewers without a declared conflict: these make the quorum. */
export function countingReviews(state: Application): Review[] {
  return state.reviews.filter(
    (r) => r.round === state.round && !state.conflicted.includes(r.reviewer),
  );
}

export const decider = { decide, evolve, initialState };

////////// rules

function requireOwner(actor: Actor, state: Application): void {
  if (actor.sub !== state.owner) {
    throw new ApplicationError('not_owner', 'only the applicant can change this application');
  }
}

function requireAdmin(actor: Actor): void {
  if (!actor.roles.includes('admin')) {
    throw new ApplicationError('admin_role_required', 'this action needs the admin role');
  }
}

function requireReason(reason: string): string {
  if (!reason.trim()) throw new ApplicationError('reason_required', 'a reason is required');
  return reason;
}

function checkFields(fields: ApplicationFields): void {
  const problems: FieldProblem[] = [];
  if (fields.milestones.length === 0) {
    problems.push({ field: 'milestones', code: 'too_short', message: 'at least one milestone' });
  }
  if (fields.team.length === 0) {
    problems.push({ field: 'team', code: 'too_short', message: 'at least one team member' });
  }
  if (fields.requestedFunding.amount <= 0n) {
    problems.push({
      field: 'requestedFunding.amount',
      code: 'not_positive',
      message: 'must be positive',
    });
  }
  fields.milestones.forEach((m, i) => {
    if (m.amount <= 0n) {
      problems.push({
        field: `milestones.${i}.amount`,
        code: 'not_positive',
        message: 'must be positive',
      });
    }
  });
  if (problems.length > 0) {
    throw new ApplicationError('invalid_fields', 'application fields are invalid', problems);
  }
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

function checkReview(scores: RubricScores, recommendation: Recommendation): void {
  const problems: FieldProblem[] = RUBRIC_CRITERIA.filter((c) => {
    const score = scores[c];
    return !Number.isInteger(score) || score < 1 || score > 5;
  }).map((c) => ({
    field: `scores.${c}`,
    code: 'out_of_range',
    message: 'score must be an integer 1–5',
  }));
  if (!RECOMMENDATIONS.includes(recommendation)) {
    problems.push({
      field: 'recommendation',
      code: 'invalid_enum',
      message: 'unknown recommendation',
    });
  }
  if (problems.length > 0)
    throw new ApplicationError('invalid_review', 'review is invalid', problems);
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
  if (grant.amount <= 0n) {
    throw new ApplicationError('invalid_grant_terms', 'grant amount must be positive', [
      { field: 'grant.amount', code: 'not_positive', message: 'must be positive' },
    ]);
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
  if (grant.tranches.length === 0) {
    throw new ApplicationError('invalid_grant_terms', 'at least one tranche is required', [
      { field: 'grant.tranches', code: 'too_short', message: 'at least one tranche' },
    ]);
  }
  const seen = new Set<number>();
  const tranches: ApprovedTrancheData[] = [];
  for (const [i, tranche] of grant.tranches.entries()) {
    const milestone = Number.isInteger(tranche.milestone)
      ? fields.milestones[tranche.milestone - 1]
      : undefined;
    if (!milestone || tranche.milestone < 1) {
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
    if (seen.has(tranche.milestone)) {
      throw new ApplicationError(
        'duplicate_tranche',
        `milestone ${tranche.milestone} has more than one tranche`,
        [
          {
            field: `grant.tranches.${i}.milestone`,
            code: 'duplicate',
            message: 'one tranche per milestone',
          },
        ],
      );
    }
    if (tranche.amount <= 0n) {
      throw new ApplicationError('invalid_grant_terms', 'tranche amounts must be positive', [
        { field: `grant.tranches.${i}.amount`, code: 'not_positive', message: 'must be positive' },
      ]);
    }
    seen.add(tranche.milestone);
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

////////// mapping between state (bigint) and event data (strings)

function applyChanges(fields: ApplicationFields, changes: ApplicationChanges): ApplicationFields {
  const { funding, ...rest } = changes;
  const defined = Object.fromEntries(
    Object.entries(rest).filter(([, value]) => value !== undefined),
  ) as Partial<ApplicationFields>;
  return { ...fields, ...defined, ...(funding ?? {}) };
}

function toMoneyData(money: Money): MoneyData {
  return { asset: money.asset, amount: money.amount.toString() };
}

function toMilestonesData(milestones: ProposedMilestone[]): ProposedMilestoneData[] {
  return milestones.map((m) => ({ ...m, amount: m.amount.toString() }));
}

function fromMilestonesData(milestones: ProposedMilestoneData[]): ProposedMilestone[] {
  return milestones.map((m) => ({ ...m, amount: BigInt(m.amount) }));
}

function toFieldsData(fields: ApplicationFields): ApplicationFieldsData {
  return {
    ...fields,
    team: fields.team.map((m) => ({ ...m })),
    links: [...fields.links],
    requestedFunding: toMoneyData(fields.requestedFunding),
    milestones: toMilestonesData(fields.milestones),
  };
}

function fromFieldsData(data: ApplicationFieldsData): ApplicationFields {
  return {
    ...data,
    requestedFunding: {
      asset: data.requestedFunding.asset,
      amount: BigInt(data.requestedFunding.amount),
    },
    milestones: fromMilestonesData(data.milestones),
  };
}

function toChangesData(changes: ApplicationChanges): ApplicationChangesData {
  const { funding, ...rest } = changes;
  const data = Object.fromEntries(
    Object.entries(rest).filter(([, value]) => value !== undefined),
  ) as ApplicationChangesData;
  if (funding) {
    data.funding = {
      requestedFunding: toMoneyData(funding.requestedFunding),
      milestones: toMilestonesData(funding.milestones),
    };
  }
  return data;
}

function fromChangesData(data: ApplicationChangesData): ApplicationChanges {
  const { funding, ...rest } = data;
  return {
    ...rest,
    ...(funding
      ? {
          funding: {
            requestedFunding: {
              asset: funding.requestedFunding.asset,
              amount: BigInt(funding.requestedFunding.amount),
            },
            milestones: fromMilestonesData(funding.milestones),
          },
        }
      : {}),
  };
}

function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
