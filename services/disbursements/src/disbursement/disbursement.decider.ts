import { type Actor, type Command as CommandOf } from '@lib/contracts';
import {
  type Disbursement,
  type DisbursementEvent,
  type DisbursementState,
  evolve,
  initialState,
} from './disbursement';
import { DisbursementError, type WaitingReason } from './disbursement.errors';

// Commands and decide — pure. Time, actor and policy arrive with each command; the decider
// reads no clock, no config and no database.

export { evolve, initialState };
export type { Disbursement, DisbursementEvent, DisbursementState };

export type { Actor };

/** Policy for this disbursement's asset. `null` threshold = not configured: always two approvals. */
export interface ApprovalPolicy {
  dualApprovalThreshold: bigint | null;
}

/** What the grants topic told this service about the grant (null = nothing yet). */
export interface GrantFacts {
  status: 'awarded' | 'active' | 'cancelled' | 'completed' | 'unknown';
  payoutAccount: string | null;
  kycStatus: 'verified' | 'rejected' | 'expired' | null;
  /** `YYYY-MM-DD`, last valid day (UTC); null = no expiry. */
  kycExpiresAt: string | null;
  /** A changed payout account is in force from here (the cool-down). */
  payoutAccountEffectiveAt: string | null;
}

/** Everything a release is gated on, gathered by the treasury run inside its transaction. */
export interface ReleaseGates {
  paused: boolean;
  kycRequired: boolean;
  grant: GrantFacts | null;
  /** Limit left in the rolling window for this asset (limit − reserved − settled). */
  limitRemaining: bigint;
}

export type DisbursementCommand =
  | CommandOf<
      'RequestDisbursement',
      { disbursementId: string } & Pick<
        Disbursement,
        'grantId' | 'tranche' | 'asset' | 'amount' | 'receiver' | 'founder' | 'acceptedBy'
      >
    >
  | CommandOf<'ApproveDisbursement', { comment?: string; policy: ApprovalPolicy }>
  | CommandOf<'HoldDisbursement', { reason: string }>
  | CommandOf<'LiftHold', { comment?: string }>
  | CommandOf<
      'CancelDisbursement',
      /** `grant_cancelled`: the grant was cancelled (no treasurer role needed). */
      { reason: string; source: 'treasurer' | 'grant_cancelled' }
    >
  | CommandOf<'RetryDisbursement', { policy: ApprovalPolicy }>
  | CommandOf<'ReleaseDisbursement', { policy: ApprovalPolicy; gates: ReleaseGates }>
  | CommandOf<'ChangeReceiver', { receiver: string; effectiveAt: string }>
  | CommandOf<'RecordPayoutSubmitted', { attempt: number; txHash: string }>
  | CommandOf<'RecordPayoutSettled', { attempt: number; txHash: string }>
  | CommandOf<'RecordPayoutFailed', { attempt: number; txHash: string | null; reason: string }>;

/** Two approvals at or above the threshold (or when none is configured), one below it. */
export function requiredApprovals(amount: bigint, policy: ApprovalPolicy): number {
  const threshold = policy.dualApprovalThreshold;
  return threshold === null || amount >= threshold ? 2 : 1;
}

/** KYC is valid when verified and `now` is on or before the last valid day. */
export function kycValid(grant: GrantFacts, now: Date): boolean {
  if (grant.kycStatus !== 'verified') return false;
  return grant.kycExpiresAt === null || now.toISOString().slice(0, 10) <= grant.kycExpiresAt;
}

/**
 * The first gate an approved disbursement fails, or null when it may be released now. Order:
 * paused, held, grant not active, KYC, payout-account cool-down, approvals, daily limit.
 */
export function releaseBlocker(
  state: Disbursement,
  gates: ReleaseGates,
  policy: ApprovalPolicy,
  now: Date,
): WaitingReason | null {
  if (gates.paused) return 'paused';
  if (state.hold) return 'held';
  const grant = gates.grant;
  if (!grant || grant.status !== 'active') return 'grant_not_active';
  if (gates.kycRequired && !kycValid(grant, now)) return 'kyc';
  if (grant.payoutAccount !== state.receiver) return 'payout_account_cooldown';
  if (
    grant.payoutAccountEffectiveAt !== null &&
    now.getTime() < Date.parse(grant.payoutAccountEffectiveAt)
  ) {
    return 'payout_account_cooldown';
  }
  if (state.approvals.length < requiredApprovals(state.amount, policy)) return 'approvals';
  if (state.amount > gates.limitRemaining) return 'daily_limit';
  return null;
}

export function decide(
  command: DisbursementCommand,
  state: DisbursementState,
): DisbursementEvent[] {
  if (command.type === 'RequestDisbursement') return request(command, state);
  if (state.status === 'empty') {
    throw new DisbursementError('disbursement_not_found', 'no such disbursement');
  }
  switch (command.type) {
    case 'ApproveDisbursement':
      return approve(command, state);
    case 'HoldDisbursement':
      return hold(command, state);
    case 'LiftHold':
      return liftHold(command, state);
    case 'CancelDisbursement':
      return cancel(command, state);
    case 'RetryDisbursement':
      return retry(command, state);
    case 'ReleaseDisbursement':
      return release(command, state);
    case 'ChangeReceiver':
      return changeReceiver(command, state);
    case 'RecordPayoutSubmitted':
      return payoutSubmitted(command, state);
    case 'RecordPayoutSettled':
      return payoutSettled(command, state);
    case 'RecordPayoutFailed':
      return payoutFailed(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

type Command<T extends DisbursementCommand['type']> = Extract<DisbursementCommand, { type: T }>;

const ref = (state: Disbursement) => ({
  disbursementId: state.id,
  grantId: state.grantId,
  tranche: state.tranche,
});

function requireTreasurer(actor: Actor): void {
  if (!actor.roles.includes('treasurer')) {
    throw new DisbursementError('treasurer_role_required', 'only a treasurer may do this');
  }
}

function requireNotCancelled(state: Disbursement): void {
  if (state.phase === 'cancelled') {
    throw new DisbursementError('disbursement_cancelled', 'the disbursement is cancelled');
  }
}

function request(
  command: Command<'RequestDisbursement'>,
  state: DisbursementState,
): DisbursementEvent[] {
  // The id is derived from grant and tranche: a second request for it changes nothing.
  if (state.status !== 'empty') return [];
  const d = command.data;
  return [
    {
      type: 'DisbursementRequested',
      data: {
        disbursementId: d.disbursementId,
        grantId: d.grantId,
        tranche: d.tranche,
        asset: d.asset,
        amount: d.amount.toString(),
        receiver: d.receiver,
        founder: d.founder,
        acceptedBy: d.acceptedBy,
        requestedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function approve(
  command: Command<'ApproveDisbursement'>,
  state: Disbursement,
): DisbursementEvent[] {
  const { actor, now } = command.metadata;
  requireTreasurer(actor);
  requireNotCancelled(state);
  const required = requiredApprovals(state.amount, command.data.policy);
  if (state.phase === 'approved' && state.approvals.length >= required) {
    throw new DisbursementError('already_approved', 'the disbursement has every approval it needs');
  }
  if (state.phase !== 'awaiting_approval' && state.phase !== 'approved') {
    throw new DisbursementError(
      'not_awaiting_approval',
      `only a disbursement awaiting approval can be approved (phase: ${state.phase})`,
    );
  }
  if (actor.sub === state.acceptedBy) {
    throw new DisbursementError(
      'acceptor_cannot_approve',
      'whoever accepted the milestone cannot approve its disbursement',
    );
  }
  if (actor.sub === state.founder) {
    throw new DisbursementError('founder_cannot_approve', 'the founder cannot approve a payout');
  }
  if (state.approvals.some((a) => a.by === actor.sub)) {
    throw new DisbursementError(
      'duplicate_approval',
      'you already approved this disbursement; another treasurer must approve',
    );
  }
  const { comment } = command.data;
  return [
    {
      type: 'DisbursementApproved',
      data: {
        ...ref(state),
        approvedBy: actor.sub,
        ...(comment ? { comment } : {}),
        asset: state.asset,
        amount: state.amount.toString(),
        receiver: state.receiver,
        approvals: state.approvals.length + 1,
        required,
        approvedAt: now.toISOString(),
      },
    },
  ];
}

const UNRELEASED = ['awaiting_approval', 'approved', 'failed'] as const;
const isUnreleased = (state: Disbursement) =>
  (UNRELEASED as readonly string[]).includes(state.phase);

function hold(command: Command<'HoldDisbursement'>, state: Disbursement): DisbursementEvent[] {
  requireTreasurer(command.metadata.actor);
  requireNotCancelled(state);
  if (!isUnreleased(state)) {
    throw new DisbursementError(
      'not_holdable',
      `only an unreleased disbursement can be held (phase: ${state.phase})`,
    );
  }
  if (state.hold) throw new DisbursementError('already_held', 'the disbursement is already held');
  return [
    {
      type: 'DisbursementHeld',
      data: {
        ...ref(state),
        heldBy: command.metadata.actor.sub,
        reason: command.data.reason,
        heldAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function liftHold(command: Command<'LiftHold'>, state: Disbursement): DisbursementEvent[] {
  requireTreasurer(command.metadata.actor);
  requireNotCancelled(state);
  if (!state.hold) throw new DisbursementError('not_held', 'the disbursement is not held');
  const { comment } = command.data;
  return [
    {
      type: 'DisbursementHoldLifted',
      data: {
        ...ref(state),
        liftedBy: command.metadata.actor.sub,
        ...(comment ? { comment } : {}),
        liftedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function cancel(command: Command<'CancelDisbursement'>, state: Disbursement): DisbursementEvent[] {
  const bySystem = command.data.source === 'grant_cancelled';
  if (!bySystem) requireTreasurer(command.metadata.actor);
  if (state.phase === 'cancelled') {
    if (bySystem) return [];
    throw new DisbursementError('already_cancelled', 'the disbursement is already cancelled');
  }
  if (!isUnreleased(state)) {
    // Released money settles or fails as the chain says; it is never cancelled on paper.
    if (bySystem) return [];
    throw new DisbursementError(
      'already_released',
      `a released disbursement cannot be cancelled (phase: ${state.phase})`,
    );
  }
  return [
    {
      type: 'DisbursementCancelled',
      data: {
        ...ref(state),
        reason: command.data.reason,
        cancelledBy: command.metadata.actor.sub,
        cancelledAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function retry(command: Command<'RetryDisbursement'>, state: Disbursement): DisbursementEvent[] {
  requireTreasurer(command.metadata.actor);
  requireNotCancelled(state);
  if (state.phase !== 'failed') {
    throw new DisbursementError(
      'not_failed',
      `only a failed disbursement can be retried (phase: ${state.phase})`,
    );
  }
  const kept = state.approvals.length;
  return [
    {
      type: 'DisbursementRetried',
      data: {
        ...ref(state),
        attempt: state.attempt + 1,
        retriedBy: command.metadata.actor.sub,
        approvalsKept: kept,
        approved: kept >= requiredApprovals(state.amount, command.data.policy),
        retriedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function release(
  command: Command<'ReleaseDisbursement'>,
  state: Disbursement,
): DisbursementEvent[] {
  requireNotCancelled(state);
  if (state.phase !== 'approved') {
    throw new DisbursementError(
      'not_approved',
      `only an approved disbursement can be released (phase: ${state.phase})`,
    );
  }
  const { now } = command.metadata;
  const blocker = releaseBlocker(state, command.data.gates, command.data.policy, now);
  if (blocker !== null) {
    throw new DisbursementError('release_blocked', `waiting: ${blocker}`, blocker);
  }
  return [
    {
      type: 'DisbursementReleased',
      data: {
        ...ref(state),
        attempt: state.attempt,
        receiver: state.receiver,
        asset: state.asset,
        amount: state.amount.toString(),
        releasedAt: now.toISOString(),
      },
    },
  ];
}

function changeReceiver(
  command: Command<'ChangeReceiver'>,
  state: Disbursement,
): DisbursementEvent[] {
  // Released, settled and cancelled ones keep the receiver they were paid (or not paid) to.
  if (!isUnreleased(state) || command.data.receiver === state.receiver) return [];
  return [
    {
      type: 'DisbursementReceiverChanged',
      data: {
        ...ref(state),
        previousReceiver: state.receiver,
        receiver: command.data.receiver,
        effectiveAt: command.data.effectiveAt,
        voidedApprovals: state.approvals.map((a) => a.by),
        changedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

/** Outcomes count only for the attempt in flight; others are ignored here (not in the ledger). */
const isCurrent = (state: Disbursement, attempt: number) =>
  state.phase === 'released' && attempt === state.attempt;

function payoutSubmitted(
  command: Command<'RecordPayoutSubmitted'>,
  state: Disbursement,
): DisbursementEvent[] {
  const { attempt, txHash } = command.data;
  if (!isCurrent(state, attempt)) return [];
  const current = state.attempts.find((a) => a.attempt === attempt);
  if (current?.txHashes.includes(txHash)) return [];
  return [
    {
      type: 'DisbursementPayoutSubmitted',
      data: { ...ref(state), attempt, txHash, submittedAt: command.metadata.now.toISOString() },
    },
  ];
}

function payoutSettled(
  command: Command<'RecordPayoutSettled'>,
  state: Disbursement,
): DisbursementEvent[] {
  const { attempt, txHash } = command.data;
  if (!isCurrent(state, attempt)) return [];
  return [
    {
      type: 'DisbursementSettled',
      data: { ...ref(state), attempt, txHash, settledAt: command.metadata.now.toISOString() },
    },
  ];
}

function payoutFailed(
  command: Command<'RecordPayoutFailed'>,
  state: Disbursement,
): DisbursementEvent[] {
  const { attempt, txHash, reason } = command.data;
  if (!isCurrent(state, attempt)) return [];
  return [
    {
      type: 'DisbursementFailed',
      data: {
        ...ref(state),
        attempt,
        txHash,
        reason,
        failedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}
