// The Milestone aggregate's events, state and evolve: pure (what happened, and what it means).
// One stream per grant tranche: `milestone-<grantId>-<number>`. Amounts are strings of whole
// base units in events, bigint in state; times are ISO-8601 strings.

////////// Events

export type MilestoneOpened = {
  type: 'MilestoneOpened';
  data: {
    grantId: string;
    number: number;
    title: string;
    /** `YYYY-MM-DD` */
    dueDate: string;
    asset: string;
    amount: string;
    founder: string;
    openedAt: string;
  };
};

export type MilestoneSubmitted = {
  type: 'MilestoneSubmitted';
  data: {
    grantId: string;
    number: number;
    /** 1 for the first submission, +1 per resubmission. */
    submission: number;
    summary: string;
    evidenceUrls: string[];
    submittedBy: string;
    submittedAt: string;
  };
};

export type MilestoneAccepted = {
  type: 'MilestoneAccepted';
  data: {
    grantId: string;
    number: number;
    submission: number;
    asset: string;
    amount: string;
    founder: string;
    comment?: string;
    acceptedBy: string;
    acceptedAt: string;
  };
};

export type MilestoneRejected = {
  type: 'MilestoneRejected';
  data: {
    grantId: string;
    number: number;
    submission: number;
    comment: string;
    rejectedBy: string;
    rejectedAt: string;
  };
};

/**
 * The grant was cancelled. `previousStatus: 'not_opened'` marks a tranche closed before it was
 * ever opened (GrantActivated not processed yet, e.g. dead-lettered): a later GrantActivated
 * then opens nothing.
 */
export type MilestoneCancelled = {
  type: 'MilestoneCancelled';
  data: {
    grantId: string;
    number: number;
    previousStatus: 'not_opened' | 'pending' | 'submitted' | 'rejected';
    reason: string;
    cancelledBy: string;
    cancelledAt: string;
  };
};

export type MilestoneEvent =
  MilestoneOpened | MilestoneSubmitted | MilestoneAccepted | MilestoneRejected | MilestoneCancelled;

////////// State

export const MILESTONE_STATUSES = [
  'pending',
  'submitted',
  'accepted',
  'rejected',
  'cancelled',
] as const;
export type MilestoneStatus = (typeof MILESTONE_STATUSES)[number];

export interface Submission {
  number: number;
  summary: string;
  evidenceUrls: string[];
  submittedBy: string;
  submittedAt: string;
}

export interface Review {
  submission: number;
  decision: 'accept' | 'reject';
  comment?: string;
  reviewedBy: string;
  reviewedAt: string;
}

export interface Milestone {
  status: MilestoneStatus;
  grantId: string;
  number: number;
  title: string;
  dueDate: string;
  asset: string;
  /** Whole base units of `asset`. */
  amount: bigint;
  /** The grant's founder (JWT `sub`): the only one who may submit. */
  founder: string;
  submissions: Submission[];
  reviews: Review[];
  acceptedBy?: string;
  openedAt: string;
  updatedAt: string;
}

/** A stream with no MilestoneOpened yet; `cancelled` once the grant was cancelled before that. */
export type UnopenedMilestone = { status: 'not_opened'; cancelled: boolean };

export type MilestoneState = UnopenedMilestone | Milestone;

export const initialState = (): MilestoneState => ({ status: 'not_opened', cancelled: false });

/** Accepted and cancelled milestones never change again. */
export const isClosed = (status: MilestoneStatus) =>
  status === 'accepted' || status === 'cancelled';

////////// evolve

export function evolve(state: MilestoneState, event: MilestoneEvent): MilestoneState {
  switch (event.type) {
    case 'MilestoneOpened': {
      const { data } = event;
      return {
        status: 'pending',
        grantId: data.grantId,
        number: data.number,
        title: data.title,
        dueDate: data.dueDate,
        asset: data.asset,
        amount: BigInt(data.amount),
        founder: data.founder,
        submissions: [],
        reviews: [],
        openedAt: data.openedAt,
        updatedAt: data.openedAt,
      };
    }
    case 'MilestoneSubmitted': {
      if (state.status === 'not_opened') return state;
      const { data } = event;
      return {
        ...state,
        status: 'submitted',
        submissions: [
          ...state.submissions,
          {
            number: data.submission,
            summary: data.summary,
            evidenceUrls: data.evidenceUrls,
            submittedBy: data.submittedBy,
            submittedAt: data.submittedAt,
          },
        ],
        updatedAt: data.submittedAt,
      };
    }
    case 'MilestoneAccepted': {
      if (state.status === 'not_opened') return state;
      const { data } = event;
      return {
        ...state,
        status: 'accepted',
        acceptedBy: data.acceptedBy,
        reviews: [
          ...state.reviews,
          {
            submission: data.submission,
            decision: 'accept',
            ...(data.comment !== undefined ? { comment: data.comment } : {}),
            reviewedBy: data.acceptedBy,
            reviewedAt: data.acceptedAt,
          },
        ],
        updatedAt: data.acceptedAt,
      };
    }
    case 'MilestoneRejected': {
      if (state.status === 'not_opened') return state;
      const { data } = event;
      return {
        ...state,
        status: 'rejected',
        reviews: [
          ...state.reviews,
          {
            submission: data.submission,
            decision: 'reject',
            comment: data.comment,
            reviewedBy: data.rejectedBy,
            reviewedAt: data.rejectedAt,
          },
        ],
        updatedAt: data.rejectedAt,
      };
    }
    case 'MilestoneCancelled':
      if (state.status === 'not_opened') return { status: 'not_opened', cancelled: true };
      return { ...state, status: 'cancelled', updatedAt: event.data.cancelledAt };
    default: {
      const unknownEvent: never = event;
      throw new Error(`unknown milestone event ${JSON.stringify(unknownEvent)}`);
    }
  }
}
