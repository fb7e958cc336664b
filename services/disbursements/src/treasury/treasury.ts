// The treasury switch (one stream, `treasury-state`): pause, discrepancies, resume. Pure.

export type DiscrepancyData = {
  discrepancyId: string;
  kind: 'outcome_mismatch' | 'foreign_nonce' | 'balance_mismatch';
  detail: string;
  lane: string | null;
  payoutId: string | null;
  foundAt: string;
};

export type TreasuryPaused = {
  type: 'TreasuryPaused';
  data: {
    pausedBy: string;
    reason: string | null;
    cause: 'manual' | 'discrepancy';
    pausedAt: string;
  };
};
export type DiscrepancyRecorded = {
  type: 'DiscrepancyRecorded';
  data: DiscrepancyData & { recordedAt: string };
};
/** The first of two treasurers agreed to resume after a discrepancy. */
export type TreasuryResumeApproved = {
  type: 'TreasuryResumeApproved';
  data: { approvedBy: string; approvals: number; required: number; approvedAt: string };
};
export type TreasuryResumed = {
  type: 'TreasuryResumed';
  data: { resumedBy: string[]; resolvedDiscrepancies: string[]; resumedAt: string };
};

export type TreasuryEvent =
  TreasuryPaused | DiscrepancyRecorded | TreasuryResumeApproved | TreasuryResumed;

export interface Discrepancy extends DiscrepancyData {
  recordedAt: string;
  resolvedAt: string | null;
}

export interface TreasuryState {
  paused: boolean;
  pause: { by: string; reason: string | null; cause: 'manual' | 'discrepancy'; at: string } | null;
  discrepancies: Discrepancy[];
  /** Treasurers who agreed to resume the current pause. */
  resumeApprovals: string[];
}

export const initialTreasuryState = (): TreasuryState => ({
  paused: false,
  pause: null,
  discrepancies: [],
  resumeApprovals: [],
});

/** Open discrepancies make resuming a two-treasurer decision. */
export const openDiscrepancies = (state: TreasuryState) =>
  state.discrepancies.filter((d) => d.resolvedAt === null);

export function evolveTreasury(state: TreasuryState, event: TreasuryEvent): TreasuryState {
  switch (event.type) {
    case 'TreasuryPaused':
      return {
        ...state,
        paused: true,
        pause: {
          by: event.data.pausedBy,
          reason: event.data.reason,
          cause: event.data.cause,
          at: event.data.pausedAt,
        },
        resumeApprovals: [],
      };
    case 'DiscrepancyRecorded':
      return {
        ...state,
        discrepancies: [...state.discrepancies, { ...event.data, resolvedAt: null }],
        // New evidence: agreement given before it no longer counts.
        resumeApprovals: [],
      };
    case 'TreasuryResumeApproved':
      return { ...state, resumeApprovals: [...state.resumeApprovals, event.data.approvedBy] };
    case 'TreasuryResumed': {
      const resolved = new Set(event.data.resolvedDiscrepancies);
      return {
        paused: false,
        pause: null,
        resumeApprovals: [],
        discrepancies: state.discrepancies.map((d) =>
          resolved.has(d.discrepancyId) ? { ...d, resolvedAt: event.data.resumedAt } : d,
        ),
      };
    }
    default: {
      const unknownEvent: never = event;
      throw new Error(`unknown treasury event ${JSON.stringify(unknownEvent)}`);
    }
  }
}
