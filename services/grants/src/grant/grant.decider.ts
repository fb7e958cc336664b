import { type Command } from '@lib/contracts';
import { GrantError } from './grant.errors';
import {
  type Actor,
  assertNever,
  evolve,
  FINAL_STATUSES,
  type Grant,
  type GrantAwarded,
  type GrantEvent,
  type GrantState,
  initialState,
  type KycStatus,
  payoutAccountAt,
  scheduledPayoutAccountAt,
  type Tranche,
  termsHash,
} from './grant';

// The Grant aggregate as a pure decider: no I/O, no clock, no ids made here. Time (`now`) and
// the acting identity arrive on every command; the cool-down is policy and arrives as data.

////////// Commands

/** From `ApplicationApproved`: the grant id is the application id; the event's data in bigint. */
export type AwardGrant = Command<
  'AwardGrant',
  Omit<GrantAwarded['data'], 'amount' | 'tranches'> & { amount: bigint; tranches: Tranche[] }
>;
/** The payout account's NEP-413 signature over the terms was verified before this command. */
export type AcceptGrant = Command<
  'AcceptGrant',
  { signerAccountId: string; signerPublicKey: string; termsHash: string }
>;
/** The new account's NEP-413 signature was verified before this command. */
export type RequestPayoutAccountChange = Command<
  'RequestPayoutAccountChange',
  { payoutAccount: string; signerPublicKey: string }
>;
export type ApprovePayoutAccountChange = Command<
  'ApprovePayoutAccountChange',
  {
    /** The proposed account the approver saw; must be the one awaiting approval. */
    payoutAccount: string;
    /** From config (`PAYOUT_ACCOUNT_COOLDOWN_HOURS`). */
    cooldownHours: number;
  }
>;
export type RecordKycStatus = Command<
  'RecordKycStatus',
  { status: KycStatus; expiresAt: string | null }
>;
export type CancelGrant = Command<'CancelGrant', { reason: string }>;
/** From `DisbursementSettled`: tranche `tranche` is paid on chain. */
export type RecordTrancheSettled = Command<
  'RecordTrancheSettled',
  { tranche: number; disbursementId: string; txHash: string; settledAt: string }
>;

export type GrantCommand =
  | AwardGrant
  | AcceptGrant
  | RequestPayoutAccountChange
  | ApprovePayoutAccountChange
  | RecordKycStatus
  | CancelGrant
  | RecordTrancheSettled;

////////// decide

export function decide(command: GrantCommand, state: GrantState): GrantEvent[] {
  if (command.type === 'AwardGrant') return awardGrant(command, state);
  if (state.status === 'empty') throw new GrantError('grant_not_found', 'no such grant');
  switch (command.type) {
    case 'AcceptGrant':
      return acceptGrant(command, state);
    case 'RequestPayoutAccountChange':
      return requestPayoutAccountChange(command, state);
    case 'ApprovePayoutAccountChange':
      return approvePayoutAccountChange(command, state);
    case 'RecordKycStatus':
      return recordKycStatus(command, state);
    case 'CancelGrant':
      return cancelGrant(command, state);
    case 'RecordTrancheSettled':
      return recordTrancheSettled(command, state);
    default:
      return assertNever(command);
  }
}

function awardGrant(command: AwardGrant, state: GrantState): GrantEvent[] {
  // One grant per approved application: a second award of the same id changes nothing.
  if (state.status !== 'empty') return [];
  const { data } = command;
  checkTerms(data.amount, data.tranches);
  return [
    {
      type: 'GrantAwarded',
      data: {
        grantId: data.grantId,
        founder: data.founder,
        payoutAccount: data.payoutAccount,
        title: data.title,
        asset: data.asset,
        amount: data.amount.toString(),
        tranches: [...data.tranches]
          .sort((a, b) => a.number - b.number)
          .map((t) => ({
            number: t.number,
            title: t.title,
            dueDate: t.dueDate,
            amount: t.amount.toString(),
          })),
        awardedAt: data.awardedAt,
      },
    },
  ];
}

function acceptGrant(command: AcceptGrant, state: Grant): GrantEvent[] {
  const { now, actor } = command.metadata;
  requireAcceptable(state, actor);
  const payoutAccount = payoutAccountAt(state, now);
  if (command.data.signerAccountId !== payoutAccount) {
    throw new GrantError(
      'signer_not_payout_account',
      `the terms must be signed by the payout account ${payoutAccount}`,
    );
  }
  if (command.data.termsHash !== termsHash(state, payoutAccount)) {
    throw new GrantError('terms_changed', 'the signed terms are not the grant’s current terms');
  }
  return [
    {
      type: 'GrantActivated',
      data: {
        grantId: state.id,
        founder: state.founder,
        title: state.title,
        asset: state.asset,
        amount: state.amount.toString(),
        tranches: state.tranches.map((t) => ({ ...t, amount: t.amount.toString() })),
        payoutAccount,
        signerPublicKey: command.data.signerPublicKey,
        termsHash: command.data.termsHash,
        acceptedBy: actor.sub,
        activatedAt: now.toISOString(),
      },
    },
  ];
}

function requestPayoutAccountChange(
  command: RequestPayoutAccountChange,
  state: Grant,
): GrantEvent[] {
  const { now, actor } = command.metadata;
  requirePayoutAccountChangeable(state, actor);
  const { payoutAccount } = command.data;
  const scheduled = scheduledPayoutAccountAt(state, now);
  if (payoutAccount === payoutAccountAt(state, now) || payoutAccount === scheduled?.account) {
    throw new GrantError(
      'payout_account_unchanged',
      `${payoutAccount} already is (or is about to become) the payout account`,
    );
  }
  return [
    {
      type: 'PayoutAccountChangeRequested',
      data: {
        grantId: state.id,
        payoutAccount,
        signerPublicKey: command.data.signerPublicKey,
        requestedBy: actor.sub,
        requestedAt: now.toISOString(),
      },
    },
  ];
}

function approvePayoutAccountChange(
  command: ApprovePayoutAccountChange,
  state: Grant,
): GrantEvent[] {
  const { now, actor } = command.metadata;
  requireAdmin(actor);
  requireOpen(state);
  const requested = state.requestedPayoutAccount;
  if (!requested) {
    throw new GrantError('no_payout_account_change', 'no payout-account change awaits approval');
  }
  if (actor.sub === state.founder) {
    throw new GrantError('founder_cannot_approve', 'the founder cannot approve their own change');
  }
  const { cooldownHours, payoutAccount } = command.data;
  if (payoutAccount !== requested.account) {
    throw new GrantError(
      'payout_account_mismatch',
      `the change awaiting approval is for ${requested.account}, not ${payoutAccount}`,
    );
  }
  if (!Number.isInteger(cooldownHours) || cooldownHours < 0) {
    throw new GrantError('invalid_cooldown', 'the cool-down must be a whole number of hours ≥ 0');
  }
  const previous = state.payoutAccounts[state.payoutAccounts.length - 1].account;
  return [
    {
      type: 'PayoutAccountChanged',
      data: {
        grantId: state.id,
        previousAccount: previous,
        payoutAccount: requested.account,
        approvedBy: actor.sub,
        approvedAt: now.toISOString(),
        effectiveAt: new Date(now.getTime() + cooldownHours * 3_600_000).toISOString(),
      },
    },
  ];
}

function recordKycStatus(command: RecordKycStatus, state: Grant): GrantEvent[] {
  const { now, actor } = command.metadata;
  requireAdmin(actor);
  requireOpen(state);
  const { status, expiresAt } = command.data;
  if (expiresAt !== null) {
    if (status !== 'verified') {
      throw new GrantError('kyc_expiry_not_allowed', 'only a verification has an expiry date', [
        { field: 'expiresAt', code: 'not_allowed', message: 'only with status verified' },
      ]);
    }
    const today = now.toISOString().slice(0, 10);
    if (expiresAt < today) {
      throw new GrantError('kyc_expiry_not_in_future', `expiresAt must not be before ${today}`, [
        { field: 'expiresAt', code: 'date_in_past', message: `must not be before ${today}` },
      ]);
    }
  }
  return [
    {
      type: 'KycStatusChanged',
      data: {
        grantId: state.id,
        status,
        expiresAt,
        recordedBy: actor.sub,
        recordedAt: now.toISOString(),
      },
    },
  ];
}

function cancelGrant(command: CancelGrant, state: Grant): GrantEvent[] {
  const { now, actor } = command.metadata;
  requireAdmin(actor);
  requireOpen(state);
  // Non-blank and at most LIMITS.reason is the DTO's rule (cancelBody); trimmed again here so
  // the event never carries padding whoever sends the command.
  const reason = command.data.reason.trim();
  return [
    {
      type: 'GrantCancelled',
      data: {
        grantId: state.id,
        previousStatus: state.status,
        reason,
        cancelledBy: actor.sub,
        cancelledAt: now.toISOString(),
      },
    },
  ];
}

function recordTrancheSettled(command: RecordTrancheSettled, state: Grant): GrantEvent[] {
  const { tranche, disbursementId, txHash, settledAt } = command.data;
  if (!state.tranches.some((t) => t.number === tranche)) {
    throw new GrantError('unknown_tranche', `grant ${state.id} has no tranche ${tranche}`);
  }
  if (state.settled[tranche]) return []; // a redelivered settlement changes nothing
  const settled: GrantEvent = {
    type: 'TrancheSettled',
    data: { grantId: state.id, tranche, disbursementId, txHash, settledAt },
  };
  const after = evolve(state, settled) as Grant;
  const allSettled = after.tranches.every((t) => after.settled[t.number] !== undefined);
  if (allSettled && state.status === 'active') {
    return [
      settled,
      { type: 'GrantCompleted', data: { grantId: state.id, completedAt: settledAt } },
    ];
  }
  return [settled];
}

////////// rules (also used by the controller before it issues a challenge)

/** The founder who owns the grant; anyone else is told there is no such grant. */
export function requireOwner(state: Grant, actor: Actor): void {
  if (actor.sub !== state.founder) throw new GrantError('grant_not_found', 'no such grant');
}

/** Only the owner, and only while the grant awaits acceptance. */
export function requireAcceptable(state: Grant, actor: Actor): void {
  requireOwner(state, actor);
  if (state.status !== 'awarded') {
    throw new GrantError(
      'not_awarded',
      `only an awarded grant can be accepted (status: ${state.status})`,
    );
  }
}

/** Only the owner, and only while the grant is awarded or active. */
export function requirePayoutAccountChangeable(state: Grant, actor: Actor): void {
  requireOwner(state, actor);
  if (FINAL_STATUSES.includes(state.status)) {
    throw new GrantError('grant_closed', `the grant is ${state.status}`);
  }
}

function requireOpen(state: Grant): void {
  if (FINAL_STATUSES.includes(state.status)) {
    throw new GrantError('grant_closed', `the grant is ${state.status}`);
  }
}

function requireAdmin(actor: Actor): void {
  if (!actor.roles.includes('admin')) {
    throw new GrantError('admin_role_required', 'this action needs the admin role');
  }
}

function checkTerms(amount: bigint, tranches: Tranche[]): void {
  const numbers = tranches.map((t) => t.number);
  const problems: string[] = [];
  if (amount <= 0n) problems.push('the amount must be positive');
  if (tranches.length === 0) problems.push('at least one tranche');
  if (new Set(numbers).size !== numbers.length) problems.push('one tranche per milestone');
  if (tranches.some((t) => !Number.isInteger(t.number) || t.number < 1)) {
    problems.push('tranches are numbered from 1');
  }
  if (tranches.some((t) => t.amount <= 0n)) problems.push('tranche amounts must be positive');
  if (tranches.reduce((sum, t) => sum + t.amount, 0n) !== amount) {
    problems.push('tranche amounts must sum to the amount');
  }
  if (problems.length > 0) {
    throw new GrantError('invalid_terms', `invalid grant terms: ${problems.join('; ')}`);
  }
}

export const decider = { decide, evolve, initialState };
