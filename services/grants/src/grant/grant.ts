import { createHash } from 'node:crypto';

// The Grant aggregate's events, state and evolve: pure (what happened, and what it means).
// Amounts are strings of whole base units in events, bigint in state; times are ISO-8601 strings.

////////// Values

export const GRANT_STATUSES = ['awarded', 'active', 'completed', 'cancelled'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const KYC_STATUSES = ['verified', 'rejected', 'expired'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export type { Actor } from '@lib/contracts';

export interface TrancheData {
  /** 1-based; equals the milestone number it pays for. */
  number: number;
  title: string;
  /** `YYYY-MM-DD` */
  dueDate: string;
  amount: string;
}

export interface Tranche {
  number: number;
  title: string;
  dueDate: string;
  amount: bigint;
}

////////// Events

export type GrantAwarded = {
  type: 'GrantAwarded';
  data: {
    grantId: string;
    founder: string;
    payoutAccount: string;
    title: string;
    asset: string;
    amount: string;
    tranches: TrancheData[];
    awardedAt: string;
  };
};
export type GrantActivated = {
  type: 'GrantActivated';
  /** Carries the terms as signed: milestones opens one milestone per tranche from it. */
  data: {
    grantId: string;
    founder: string;
    title: string;
    asset: string;
    amount: string;
    tranches: TrancheData[];
    /** The payout account whose full-access key signed the terms. */
    payoutAccount: string;
    signerPublicKey: string;
    termsHash: string;
    acceptedBy: string;
    activatedAt: string;
  };
};
export type PayoutAccountChangeRequested = {
  type: 'PayoutAccountChangeRequested';
  data: {
    grantId: string;
    payoutAccount: string;
    /** The new account's full-access key that signed the proof. */
    signerPublicKey: string;
    requestedBy: string;
    requestedAt: string;
  };
};
export type PayoutAccountChanged = {
  type: 'PayoutAccountChanged';
  data: {
    grantId: string;
    previousAccount: string;
    payoutAccount: string;
    approvedBy: string;
    approvedAt: string;
    effectiveAt: string;
  };
};
export type KycStatusChanged = {
  type: 'KycStatusChanged';
  data: {
    grantId: string;
    status: KycStatus;
    expiresAt: string | null;
    recordedBy: string;
    recordedAt: string;
  };
};
export type GrantCancelled = {
  type: 'GrantCancelled';
  data: {
    grantId: string;
    previousStatus: GrantStatus;
    reason: string;
    cancelledBy: string;
    cancelledAt: string;
  };
};
export type TrancheSettled = {
  type: 'TrancheSettled';
  data: {
    grantId: string;
    tranche: number;
    disbursementId: string;
    txHash: string;
    settledAt: string;
  };
};
export type GrantCompleted = {
  type: 'GrantCompleted';
  data: { grantId: string; completedAt: string };
};

export type GrantEvent =
  | GrantAwarded
  | GrantActivated
  | PayoutAccountChangeRequested
  | PayoutAccountChanged
  | KycStatusChanged
  | GrantCancelled
  | TrancheSettled
  | GrantCompleted;

export type GrantEventType = GrantEvent['type'];

////////// State

/** A payout account and the instant from which it is the one paid (null = since the award). */
export interface PayoutAccountPeriod {
  account: string;
  effectiveFrom: string | null;
}

export interface Grant {
  status: GrantStatus;
  id: string;
  founder: string;
  title: string;
  asset: string;
  amount: bigint;
  tranches: Tranche[];
  /** Every payout account in order; the last one whose effectiveFrom has passed is in force. */
  payoutAccounts: PayoutAccountPeriod[];
  /** A change the founder proved and an admin has not approved yet. */
  requestedPayoutAccount?: { account: string; requestedBy: string; requestedAt: string };
  acceptance?: {
    payoutAccount: string;
    signerPublicKey: string;
    termsHash: string;
    acceptedAt: string;
  };
  kyc?: { status: KycStatus; expiresAt: string | null; recordedBy: string; recordedAt: string };
  cancellation?: { reason: string; cancelledBy: string; cancelledAt: string };
  /** Tranche number → settlement. */
  settled: Record<number, { txHash: string; settledAt: string }>;
  completedAt?: string;
  awardedAt: string;
  updatedAt: string;
}

export type EmptyGrant = { status: 'empty' };
export type GrantState = EmptyGrant | Grant;

export const initialState = (): GrantState => ({ status: 'empty' });

export const FINAL_STATUSES: readonly GrantStatus[] = ['completed', 'cancelled'];

/** The payout account in force at `at` (an approved change counts only from its effectiveAt). */
export function payoutAccountAt(grant: Pick<Grant, 'payoutAccounts'>, at: Date): string {
  let account = grant.payoutAccounts[0].account;
  for (const period of grant.payoutAccounts) {
    if (period.effectiveFrom === null || Date.parse(period.effectiveFrom) <= at.getTime()) {
      account = period.account;
    }
  }
  return account;
}

/** An approved change not yet in force at `at`, if any. */
export function scheduledPayoutAccountAt(
  grant: Grant,
  at: Date,
): { account: string; effectiveAt: string } | undefined {
  const last = grant.payoutAccounts[grant.payoutAccounts.length - 1];
  if (last.effectiveFrom !== null && Date.parse(last.effectiveFrom) > at.getTime()) {
    return { account: last.account, effectiveAt: last.effectiveFrom };
  }
  return undefined;
}

/** The terms a payout account signs: what the grant pays, to whom, in which tranches. */
export function canonicalTerms(grant: Grant, payoutAccount: string): string {
  return canonicalJson({
    grantId: grant.id,
    founder: grant.founder,
    title: grant.title,
    payoutAccount,
    asset: grant.asset,
    amount: grant.amount.toString(),
    tranches: grant.tranches.map((t) => ({
      number: t.number,
      title: t.title,
      dueDate: t.dueDate,
      amount: t.amount.toString(),
    })),
  });
}

/** sha256 (hex) of the canonical terms with `payoutAccount` as the receiver. */
export function termsHash(grant: Grant, payoutAccount: string): string {
  return createHash('sha256').update(canonicalTerms(grant, payoutAccount), 'utf8').digest('hex');
}

////////// evolve

export function evolve(state: GrantState, event: GrantEvent): GrantState {
  if (event.type === 'GrantAwarded') {
    const { data } = event;
    return {
      status: 'awarded',
      id: data.grantId,
      founder: data.founder,
      title: data.title,
      asset: data.asset,
      amount: BigInt(data.amount),
      tranches: data.tranches.map((t) => ({ ...t, amount: BigInt(t.amount) })),
      payoutAccounts: [{ account: data.payoutAccount, effectiveFrom: null }],
      settled: {},
      awardedAt: data.awardedAt,
      updatedAt: data.awardedAt,
    };
  }
  // Events of a stream that was never awarded cannot exist; ignore rather than crash a replay.
  if (state.status === 'empty') return state;
  switch (event.type) {
    case 'GrantActivated': {
      const { data } = event;
      return {
        ...state,
        status: 'active',
        acceptance: {
          payoutAccount: data.payoutAccount,
          signerPublicKey: data.signerPublicKey,
          termsHash: data.termsHash,
          acceptedAt: data.activatedAt,
        },
        updatedAt: data.activatedAt,
      };
    }
    case 'PayoutAccountChangeRequested':
      return {
        ...state,
        requestedPayoutAccount: {
          account: event.data.payoutAccount,
          requestedBy: event.data.requestedBy,
          requestedAt: event.data.requestedAt,
        },
        updatedAt: event.data.requestedAt,
      };
    case 'PayoutAccountChanged': {
      const { requestedPayoutAccount: _done, ...rest } = state;
      return {
        ...rest,
        payoutAccounts: [
          ...state.payoutAccounts,
          { account: event.data.payoutAccount, effectiveFrom: event.data.effectiveAt },
        ],
        updatedAt: event.data.approvedAt,
      };
    }
    case 'KycStatusChanged': {
      const { status, expiresAt, recordedBy, recordedAt } = event.data;
      return {
        ...state,
        kyc: { status, expiresAt, recordedBy, recordedAt },
        updatedAt: recordedAt,
      };
    }
    case 'GrantCancelled': {
      const { reason, cancelledBy, cancelledAt } = event.data;
      return {
        ...state,
        status: 'cancelled',
        cancellation: { reason, cancelledBy, cancelledAt },
        updatedAt: cancelledAt,
      };
    }
    case 'TrancheSettled':
      return {
        ...state,
        settled: {
          ...state.settled,
          [event.data.tranche]: { txHash: event.data.txHash, settledAt: event.data.settledAt },
        },
        updatedAt: event.data.settledAt,
      };
    case 'GrantCompleted':
      return {
        ...state,
        status: 'completed',
        completedAt: event.data.completedAt,
        updatedAt: event.data.completedAt,
      };
    default:
      return assertNever(event);
  }
}

/**
 * Canonical JSON of plain terms (strings, integers, arrays, objects): keys sorted, no whitespace,
 * as @lib/event-store's canonicalJson writes them (that barrel loads pg and Nest; a decider may not).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
