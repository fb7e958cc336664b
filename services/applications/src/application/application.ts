// The Application aggregate's facts: values, events, state and evolve — what happened and what it
// means. Pure (no I/O, no clock). Commands and decide are in application.decider.ts.

import { applicationCategorySchema } from '@lib/contracts';

////////// Values

/** The categories, as the integration contract defines them (one list for API, events, wire). */
export const APPLICATION_CATEGORIES = applicationCategorySchema.options;
export type ApplicationCategory = (typeof APPLICATION_CATEGORIES)[number];

export const RECOMMENDATIONS = ['approve', 'reject', 'request_changes'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

export const RUBRIC_CRITERIA = ['team', 'technical', 'impact', 'ecosystemFit'] as const;
export type RubricCriterion = (typeof RUBRIC_CRITERIA)[number];
/** Each criterion scored 1–5 (integers). */
export type RubricScores = Record<RubricCriterion, number>;

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

////////// Events (amounts are strings of whole base units; times are ISO-8601 strings)

/** `T` as event data: its bigint `amount` as a string of whole base units. */
type AmountAsString<T extends { amount: bigint }> = Omit<T, 'amount'> & { amount: string };

export type MoneyData = AmountAsString<Money>;
export type ProposedMilestoneData = AmountAsString<ProposedMilestone>;
export type ApplicationFieldsData = Omit<ApplicationFields, 'requestedFunding' | 'milestones'> & {
  requestedFunding: MoneyData;
  milestones: ProposedMilestoneData[];
};
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

export const APPLICATION_STATUSES = [
  'draft',
  'submitted',
  'under_review',
  'changes_requested',
  'approved',
  'rejected',
  'withdrawn',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const FINAL_STATUSES: readonly ApplicationStatus[] = ['approved', 'rejected', 'withdrawn'];

/** A review as submitted (the event's data without the application id). */
export type Review = Omit<ReviewSubmitted['data'], 'applicationId'>;

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

/** Reviews of the current round by reviewers without a declared conflict: these make the quorum. */
export function countingReviews(state: Application): Review[] {
  return state.reviews.filter(
    (r) => r.round === state.round && !state.conflicted.includes(r.reviewer),
  );
}

////////// mapping between state (bigint) and event data (strings)

export function applyChanges(
  fields: ApplicationFields,
  changes: ApplicationChanges,
): ApplicationFields {
  const { funding, ...rest } = changes;
  const defined = Object.fromEntries(
    Object.entries(rest).filter(([, value]) => value !== undefined),
  ) as Partial<ApplicationFields>;
  return { ...fields, ...defined, ...(funding ?? {}) };
}

export function toMoneyData(money: Money): MoneyData {
  return { asset: money.asset, amount: money.amount.toString() };
}

function toMilestonesData(milestones: ProposedMilestone[]): ProposedMilestoneData[] {
  return milestones.map((m) => ({ ...m, amount: m.amount.toString() }));
}

function fromMilestonesData(milestones: ProposedMilestoneData[]): ProposedMilestone[] {
  return milestones.map((m) => ({ ...m, amount: BigInt(m.amount) }));
}

export function toFieldsData(fields: ApplicationFields): ApplicationFieldsData {
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

export function toChangesData(changes: ApplicationChanges): ApplicationChangesData {
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

/** The end of every exhaustive switch over a union. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
