// The Disbursement aggregate: what happened (events), what it means (state, evolve). Pure.
// Amounts are strings of whole base units in events, bigint in state; times are ISO strings.

////////// Events

type Ref = {
  disbursementId: string;
  grantId: string;
  tranche: number;
};

export type DisbursementRequested = {
  type: 'DisbursementRequested';
  data: Ref & {
    asset: string;
    amount: string;
    receiver: string;
    founder: string;
    acceptedBy: string;
    requestedAt: string;
  };
};
/** One treasurer's approval, bound to the payload it approved. */
export type DisbursementApproved = {
  type: 'DisbursementApproved';
  data: Ref & {
    approvedBy: string;
    comment?: string;
    asset: string;
    amount: string;
    receiver: string;
    /** Approvals in force after this one, and how many the policy requires. */
    approvals: number;
    required: number;
    approvedAt: string;
  };
};
/** The grant's payout account changed: the receiver follows and every approval is void. */
export type DisbursementReceiverChanged = {
  type: 'DisbursementReceiverChanged';
  data: Ref & {
    previousReceiver: string;
    receiver: string;
    effectiveAt: string;
    voidedApprovals: string[];
    changedAt: string;
  };
};
export type DisbursementHeld = {
  type: 'DisbursementHeld';
  data: Ref & { heldBy: string; reason: string; heldAt: string };
};
export type DisbursementHoldLifted = {
  type: 'DisbursementHoldLifted';
  data: Ref & { liftedBy: string; comment?: string; liftedAt: string };
};
export type DisbursementReleased = {
  type: 'DisbursementReleased';
  data: Ref & {
    attempt: number;
    receiver: string;
    asset: string;
    amount: string;
    releasedAt: string;
  };
};
export type DisbursementPayoutSubmitted = {
  type: 'DisbursementPayoutSubmitted';
  data: Ref & { attempt: number; txHash: string; submittedAt: string };
};
export type DisbursementSettled = {
  type: 'DisbursementSettled';
  data: Ref & { attempt: number; txHash: string; settledAt: string };
};
export type DisbursementFailed = {
  type: 'DisbursementFailed';
  data: Ref & { attempt: number; txHash: string | null; reason: string; failedAt: string };
};
/** A failed disbursement goes round again as `attempt` (approvals kept unless voided). */
export type DisbursementRetried = {
  type: 'DisbursementRetried';
  data: Ref & {
    attempt: number;
    retriedBy: string;
    approvalsKept: number;
    /** Whether the kept approvals still meet the policy (else it awaits approval again). */
    approved: boolean;
    retriedAt: string;
  };
};
export type DisbursementCancelled = {
  type: 'DisbursementCancelled';
  data: Ref & { reason: string; cancelledBy: string; cancelledAt: string };
};

export type DisbursementEvent =
  | DisbursementRequested
  | DisbursementApproved
  | DisbursementReceiverChanged
  | DisbursementHeld
  | DisbursementHoldLifted
  | DisbursementReleased
  | DisbursementPayoutSubmitted
  | DisbursementSettled
  | DisbursementFailed
  | DisbursementRetried
  | DisbursementCancelled;

////////// State

/** Where the money is; a hold is separate (it pauses one disbursement in any unreleased phase). */
export type DisbursementPhase =
  'awaiting_approval' | 'approved' | 'released' | 'settled' | 'failed' | 'cancelled';

/** The status the API shows: the phase, or `held` while a hold is on an unreleased one. */
export type DisbursementStatus = DisbursementPhase | 'held';

export interface Approval {
  by: string;
  at: string;
  comment?: string;
}

export interface Attempt {
  attempt: number;
  receiver: string;
  releasedAt: string;
  txHashes: string[];
  outcome: 'pending' | 'settled' | 'failed';
  settledAt?: string;
  failedAt?: string;
  reason?: string;
}

export interface Disbursement {
  status: 'exists';
  id: string;
  grantId: string;
  tranche: number;
  asset: string;
  amount: bigint;
  receiver: string;
  founder: string;
  acceptedBy: string;
  phase: DisbursementPhase;
  hold: { by: string; reason: string; at: string } | null;
  /** Approvals in force for the current (amount, asset, receiver). */
  approvals: Approval[];
  /** Approvals a payout-account change voided, for the record. */
  voidedApprovals: (Approval & { voidedAt: string })[];
  /** The attempt the next (or current) release carries: 1, then +1 per retry. */
  attempt: number;
  attempts: Attempt[];
  /** When it last became approved (treasury runs release in this order). */
  readyAt: string | null;
  cancellation: { by: string; reason: string; at: string } | null;
  requestedAt: string;
  updatedAt: string;
}

export type DisbursementState = { status: 'empty' } | Disbursement;

export const initialState = (): DisbursementState => ({ status: 'empty' });

/** The status the API shows. */
export function statusOf(state: Disbursement): DisbursementStatus {
  const holdable =
    state.phase === 'awaiting_approval' || state.phase === 'approved' || state.phase === 'failed';
  return state.hold && holdable ? 'held' : state.phase;
}

////////// evolve

export function evolve(state: DisbursementState, event: DisbursementEvent): DisbursementState {
  if (event.type === 'DisbursementRequested') {
    const d = event.data;
    return {
      status: 'exists',
      id: d.disbursementId,
      grantId: d.grantId,
      tranche: d.tranche,
      asset: d.asset,
      amount: BigInt(d.amount),
      receiver: d.receiver,
      founder: d.founder,
      acceptedBy: d.acceptedBy,
      phase: 'awaiting_approval',
      hold: null,
      approvals: [],
      voidedApprovals: [],
      attempt: 1,
      attempts: [],
      readyAt: null,
      cancellation: null,
      requestedAt: d.requestedAt,
      updatedAt: d.requestedAt,
    };
  }
  if (state.status === 'empty') return state;
  switch (event.type) {
    case 'DisbursementApproved': {
      const d = event.data;
      const approvals = [
        ...state.approvals,
        { by: d.approvedBy, at: d.approvedAt, ...(d.comment ? { comment: d.comment } : {}) },
      ];
      const approved = d.approvals >= d.required;
      return {
        ...state,
        approvals,
        phase: approved ? 'approved' : state.phase,
        readyAt: approved ? d.approvedAt : state.readyAt,
        updatedAt: d.approvedAt,
      };
    }
    case 'DisbursementReceiverChanged': {
      const d = event.data;
      return {
        ...state,
        receiver: d.receiver,
        voidedApprovals: [
          ...state.voidedApprovals,
          ...state.approvals.map((a) => ({ ...a, voidedAt: d.changedAt })),
        ],
        approvals: [],
        phase: state.phase === 'approved' ? 'awaiting_approval' : state.phase,
        readyAt: null,
        updatedAt: d.changedAt,
      };
    }
    case 'DisbursementHeld': {
      const d = event.data;
      return {
        ...state,
        hold: { by: d.heldBy, reason: d.reason, at: d.heldAt },
        updatedAt: d.heldAt,
      };
    }
    case 'DisbursementHoldLifted':
      return { ...state, hold: null, updatedAt: event.data.liftedAt };
    case 'DisbursementReleased': {
      const d = event.data;
      return {
        ...state,
        phase: 'released',
        attempts: [
          ...state.attempts,
          {
            attempt: d.attempt,
            receiver: d.receiver,
            releasedAt: d.releasedAt,
            txHashes: [],
            outcome: 'pending',
          },
        ],
        updatedAt: d.releasedAt,
      };
    }
    case 'DisbursementPayoutSubmitted': {
      const d = event.data;
      return {
        ...state,
        attempts: state.attempts.map((a) =>
          a.attempt === d.attempt ? { ...a, txHashes: [...a.txHashes, d.txHash] } : a,
        ),
        updatedAt: d.submittedAt,
      };
    }
    case 'DisbursementSettled': {
      const d = event.data;
      return {
        ...state,
        phase: 'settled',
        attempts: state.attempts.map((a) =>
          a.attempt === d.attempt
            ? {
                ...a,
                outcome: 'settled',
                settledAt: d.settledAt,
                txHashes: a.txHashes.includes(d.txHash) ? a.txHashes : [...a.txHashes, d.txHash],
              }
            : a,
        ),
        updatedAt: d.settledAt,
      };
    }
    case 'DisbursementFailed': {
      const d = event.data;
      return {
        ...state,
        phase: 'failed',
        attempts: state.attempts.map((a) =>
          a.attempt === d.attempt
            ? {
                ...a,
                outcome: 'failed',
                failedAt: d.failedAt,
                reason: d.reason,
                txHashes:
                  d.txHash === null || a.txHashes.includes(d.txHash)
                    ? a.txHashes
                    : [...a.txHashes, d.txHash],
              }
            : a,
        ),
        updatedAt: d.failedAt,
      };
    }
    case 'DisbursementRetried': {
      const d = event.data;
      return {
        ...state,
        attempt: d.attempt,
        phase: d.approved ? 'approved' : 'awaiting_approval',
        readyAt: d.approved ? d.retriedAt : null,
        updatedAt: d.retriedAt,
      };
    }
    case 'DisbursementCancelled': {
      const d = event.data;
      return {
        ...state,
        phase: 'cancelled',
        cancellation: { by: d.cancelledBy, reason: d.reason, at: d.cancelledAt },
        updatedAt: d.cancelledAt,
      };
    }
    default: {
      const unknownEvent: never = event;
      throw new Error(`unknown disbursement event ${JSON.stringify(unknownEvent)}`);
    }
  }
}
