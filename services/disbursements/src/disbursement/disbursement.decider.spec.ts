import { randomUUID } from 'node:crypto';
import {
  type Actor,
  type ApprovalPolicy,
  decide,
  type DisbursementCommand,
  type DisbursementEvent,
  type DisbursementState,
  evolve,
  type GrantFacts,
  initialState,
  kycValid,
  releaseBlocker,
  type ReleaseGates,
  requiredApprovals,
} from './disbursement.decider';
import { type Disbursement, statusOf } from './disbursement';
import { DisbursementError, type DisbursementErrorCode } from './disbursement.errors';

// given(events) → when(command) → then(events | error)
function given(events: DisbursementEvent[]) {
  const state = events.reduce<DisbursementState>(evolve, initialState());
  return {
    state: state as Disbursement,
    when(command: DisbursementCommand) {
      const run = () => decide(command, state);
      return {
        then: (expected: DisbursementEvent[]) => expect(run()).toEqual(expected),
        thenNothing: () => expect(run()).toEqual([]),
        thenThrows(code: DisbursementErrorCode, status?: number) {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DisbursementError);
          expect((caught as DisbursementError).code).toBe(code);
          // Every refusal carries a detail for the problem+json body.
          expect((caught as DisbursementError).message).not.toBe('');
          if (status !== undefined) expect((caught as DisbursementError).status).toBe(status);
          return caught as DisbursementError;
        },
        events: run,
      };
    },
  };
}

const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
const USDC = 1_000_000n;
const policy: ApprovalPolicy = { dualApprovalThreshold: 10_000n * USDC };

let grantId: string;
let id: string;
let founder: string;
let acceptor: string;
let alice: Actor;
let bob: Actor;
let ref: { disbursementId: string; grantId: string; tranche: number };

beforeEach(() => {
  const suffix = randomUUID().slice(0, 8);
  grantId = randomUUID();
  id = `${grantId}-1`;
  founder = `ada-${suffix}.near`;
  acceptor = `rev-${suffix}`;
  alice = { sub: `alice-${suffix}`, roles: ['treasurer'] };
  bob = { sub: `bob-${suffix}`, roles: ['treasurer'] };
  ref = { disbursementId: id, grantId, tranche: 1 };
});

const meta = (actor: Actor, time = now) => ({ actor, now: time });
const system: Actor = { sub: 'system:disbursements', roles: [] };

const requested = (amount: bigint, receiver = 'ada.near'): DisbursementEvent => ({
  type: 'DisbursementRequested',
  data: {
    ...ref,
    asset: 'USDC',
    amount: amount.toString(),
    receiver,
    founder,
    acceptedBy: acceptor,
    requestedAt: at,
  },
});
const approved = (by: Actor, approvals: number, required: number, amount: bigint) =>
  ({
    type: 'DisbursementApproved',
    data: {
      ...ref,
      approvedBy: by.sub,
      asset: 'USDC',
      amount: amount.toString(),
      receiver: 'ada.near',
      approvals,
      required,
      approvedAt: at,
    },
  }) satisfies DisbursementEvent;
const released = (attempt: number, amount: bigint): DisbursementEvent => ({
  type: 'DisbursementReleased',
  data: {
    ...ref,
    attempt,
    receiver: 'ada.near',
    asset: 'USDC',
    amount: amount.toString(),
    releasedAt: at,
  },
});
const failed = (attempt: number): DisbursementEvent => ({
  type: 'DisbursementFailed',
  data: { ...ref, attempt, txHash: null, reason: 'receiver does not exist', failedAt: at },
});
const held = (by: Actor): DisbursementEvent => ({
  type: 'DisbursementHeld',
  data: { ...ref, heldBy: by.sub, reason: 'checking', heldAt: at },
});
const cancelled = (): DisbursementEvent => ({
  type: 'DisbursementCancelled',
  data: { ...ref, reason: 'no', cancelledBy: alice.sub, cancelledAt: at },
});

const small = 500n * USDC;
const large = 10_000n * USDC; // exactly at the threshold

const approve = (actor: Actor, p: ApprovalPolicy = policy): DisbursementCommand => ({
  type: 'ApproveDisbursement',
  data: { policy: p },
  metadata: meta(actor),
});

const activeGrant = (overrides: Partial<GrantFacts> = {}): GrantFacts => ({
  status: 'active',
  payoutAccount: 'ada.near',
  kycStatus: 'verified',
  kycExpiresAt: null,
  payoutAccountEffectiveAt: null,
  ...overrides,
});
const gates = (overrides: Partial<ReleaseGates> = {}): ReleaseGates => ({
  paused: false,
  kycRequired: true,
  grant: activeGrant(),
  limitRemaining: 1_000_000n * USDC,
  ...overrides,
});
const releaseCmd = (g: ReleaseGates = gates(), time = now, p = policy): DisbursementCommand => ({
  type: 'ReleaseDisbursement',
  data: { policy: p, gates: g },
  metadata: meta(system, time),
});
const readyToRelease = (amount = small) => [requested(amount), approved(alice, 1, 1, amount)];

describe('policy', () => {
  it('needs two approvals at or above the threshold, one below it', () => {
    expect(requiredApprovals(large - 1n, policy)).toBe(1);
    expect(requiredApprovals(large, policy)).toBe(2);
    expect(requiredApprovals(large + 1n, policy)).toBe(2);
  });

  it('needs two approvals for every amount when the asset has no configured threshold', () => {
    expect(requiredApprovals(1n, { dualApprovalThreshold: null })).toBe(2);
  });

  it('KYC is valid only when verified and not past its last day', () => {
    expect(kycValid(activeGrant(), now)).toBe(true);
    expect(kycValid(activeGrant({ kycExpiresAt: '2026-12-01' }), now)).toBe(true);
    expect(kycValid(activeGrant({ kycExpiresAt: '2026-11-30' }), now)).toBe(false);
    expect(kycValid(activeGrant({ kycStatus: 'expired' }), now)).toBe(false);
    expect(kycValid(activeGrant({ kycStatus: 'rejected' }), now)).toBe(false);
    expect(kycValid(activeGrant({ kycStatus: null }), now)).toBe(false);
  });
});

describe('RequestDisbursement', () => {
  const command = (): DisbursementCommand => ({
    type: 'RequestDisbursement',
    data: {
      ...ref,
      asset: 'USDC',
      amount: small,
      receiver: 'ada.near',
      founder,
      acceptedBy: acceptor,
    },
    metadata: meta(system),
  });

  it('creates the disbursement awaiting approval', () => {
    given([])
      .when(command())
      .then([requested(small)]);
    const state = given([requested(small)]).state;
    expect(state.phase).toBe('awaiting_approval');
    expect(statusOf(state)).toBe('awaiting_approval');
    expect(state.attempt).toBe(1);
    expect(state.amount).toBe(small);
  });

  it('a second request for the same grant and tranche changes nothing', () => {
    given([requested(small)])
      .when(command())
      .thenNothing();
  });

  it('any other command on a missing disbursement is a 404', () => {
    given([]).when(approve(alice)).thenThrows('disbursement_not_found', 404);
  });
});

describe('ApproveDisbursement', () => {
  it('one treasurer approves below the threshold: approved', () => {
    given([requested(small)])
      .when(approve(alice))
      .then([approved(alice, 1, 1, small)]);
    const state = given(readyToRelease()).state;
    expect(state.phase).toBe('approved');
    expect(state.readyAt).toBe(at);
  });

  it('keeps the comment with the approval', () => {
    const events = given([requested(small)])
      .when({
        type: 'ApproveDisbursement',
        data: { policy, comment: 'looks right' },
        metadata: meta(alice),
      })
      .events();
    expect(events[0].data).toMatchObject({ comment: 'looks right' });
    expect(given([requested(small), ...events]).state.approvals[0].comment).toBe('looks right');
  });

  it('at the threshold the first approval is not enough', () => {
    given([requested(large)])
      .when(approve(alice))
      .then([approved(alice, 1, 2, large)]);
    const state = given([requested(large), approved(alice, 1, 2, large)]).state;
    expect(state.phase).toBe('awaiting_approval');
    expect(state.readyAt).toBeNull();
  });

  it('at the threshold the same treasurer twice is refused', () => {
    given([requested(large), approved(alice, 1, 2, large)])
      .when(approve(alice))
      .thenThrows('duplicate_approval', 409);
  });

  it('at the threshold a second, different treasurer approves it', () => {
    given([requested(large), approved(alice, 1, 2, large)])
      .when(approve(bob))
      .then([approved(bob, 2, 2, large)]);
    expect(
      given([requested(large), approved(alice, 1, 2, large), approved(bob, 2, 2, large)]).state
        .phase,
    ).toBe('approved');
  });

  it('a fully approved disbursement takes no more approvals', () => {
    given(readyToRelease()).when(approve(bob)).thenThrows('already_approved', 409);
  });

  it('an approved one takes another approval when the policy now needs two', () => {
    given(readyToRelease())
      .when(approve(bob, { dualApprovalThreshold: 1n }))
      .then([approved(bob, 2, 2, small)]);
  });

  it('the milestone acceptor may not approve (403)', () => {
    given([requested(small)])
      .when(approve({ sub: acceptor, roles: ['treasurer'] }))
      .thenThrows('acceptor_cannot_approve', 403);
  });

  it('the founder may not approve (403)', () => {
    given([requested(small)])
      .when(approve({ sub: founder, roles: ['treasurer'] }))
      .thenThrows('founder_cannot_approve', 403);
  });

  it('only a treasurer approves (403)', () => {
    given([requested(small)])
      .when(approve({ sub: 'adm', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
  });

  it('a released, settled or failed one cannot be approved', () => {
    given([...readyToRelease(), released(1, small)])
      .when(approve(bob, { dualApprovalThreshold: 1n }))
      .thenThrows('not_awaiting_approval', 409);
    given([...readyToRelease(), released(1, small), failed(1)])
      .when(approve(bob, { dualApprovalThreshold: 1n }))
      .thenThrows('not_awaiting_approval', 409);
  });

  it('a cancelled one cannot be approved', () => {
    given([requested(small), cancelled()])
      .when(approve(alice))
      .thenThrows('disbursement_cancelled');
  });

  it('a held one can still be approved (the run waits for the hold)', () => {
    given([requested(small), held(bob)])
      .when(approve(alice))
      .then([approved(alice, 1, 1, small)]);
  });
});

describe('ChangeReceiver (payout-account change)', () => {
  const change = (receiver = 'new.near'): DisbursementCommand => ({
    type: 'ChangeReceiver',
    data: { receiver, effectiveAt: '2026-12-03T10:00:00.000Z' },
    metadata: meta(system),
  });

  it('voids the approvals of an approved disbursement and sends it back to approval', () => {
    const events = given(readyToRelease()).when(change()).events();
    expect(events).toEqual([
      {
        type: 'DisbursementReceiverChanged',
        data: {
          ...ref,
          previousReceiver: 'ada.near',
          receiver: 'new.near',
          effectiveAt: '2026-12-03T10:00:00.000Z',
          voidedApprovals: [alice.sub],
          changedAt: at,
        },
      },
    ]);
    const state = given([...readyToRelease(), ...events]).state;
    expect(state.approvals).toEqual([]);
    expect(state.voidedApprovals.map((a) => a.by)).toEqual([alice.sub]);
    expect(state.receiver).toBe('new.near');
    expect(state.phase).toBe('awaiting_approval');
    expect(state.readyAt).toBeNull();
  });

  it('a voided approver may approve again for the new receiver', () => {
    const events = given(readyToRelease()).when(change()).events();
    expect(
      given([...readyToRelease(), ...events])
        .when(approve(alice))
        .events()[0].data,
    ).toMatchObject({ approvedBy: alice.sub, receiver: 'new.near', approvals: 1 });
  });

  it('keeps a failed one failed (its approvals void)', () => {
    const history = [...readyToRelease(), released(1, small), failed(1)];
    const events = given(history).when(change()).events();
    const state = given([...history, ...events]).state;
    expect(state.phase).toBe('failed');
    expect(state.approvals).toEqual([]);
  });

  it('leaves released, settled and cancelled ones alone, and the same receiver changes nothing', () => {
    given([...readyToRelease(), released(1, small)])
      .when(change())
      .thenNothing();
    given([requested(small), cancelled()])
      .when(change())
      .thenNothing();
    given(readyToRelease()).when(change('ada.near')).thenNothing();
  });
});

describe('hold and lift', () => {
  const holdCmd = (actor = alice): DisbursementCommand => ({
    type: 'HoldDisbursement',
    data: { reason: 'checking' },
    metadata: meta(actor),
  });
  const lift = (actor = alice): DisbursementCommand => ({
    type: 'LiftHold',
    data: { comment: 'fine' },
    metadata: meta(actor),
  });

  it('holds an unreleased disbursement; the status shows held', () => {
    given(readyToRelease())
      .when(holdCmd())
      .then([held(alice)]);
    const state = given([...readyToRelease(), held(alice)]).state;
    expect(statusOf(state)).toBe('held');
    expect(state.phase).toBe('approved');
  });

  it('a failed one can be held', () => {
    given([...readyToRelease(), released(1, small), failed(1)])
      .when(holdCmd())
      .then([held(alice)]);
  });

  it('refuses a second hold, a hold on a released one, and non-treasurers', () => {
    given([...readyToRelease(), held(alice)])
      .when(holdCmd())
      .thenThrows('already_held', 409);
    given([...readyToRelease(), released(1, small)])
      .when(holdCmd())
      .thenThrows('not_holdable', 409);
    given(readyToRelease())
      .when(holdCmd({ sub: 'x', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
    given([requested(small), cancelled()])
      .when(holdCmd())
      .thenThrows('disbursement_cancelled');
  });

  it('lifting the hold brings the phase status back', () => {
    const events = given([...readyToRelease(), held(alice)])
      .when(lift(bob))
      .events();
    expect(events).toEqual([
      {
        type: 'DisbursementHoldLifted',
        data: { ...ref, liftedBy: bob.sub, comment: 'fine', liftedAt: at },
      },
    ]);
    expect(statusOf(given([...readyToRelease(), held(alice), ...events]).state)).toBe('approved');
  });

  it('lifting needs a hold, a treasurer, and a live disbursement', () => {
    given(readyToRelease()).when(lift()).thenThrows('not_held', 409);
    given([...readyToRelease(), held(alice)])
      .when(lift({ sub: 'x', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
    given([requested(small), held(alice), cancelled()])
      .when(lift())
      .thenThrows('disbursement_cancelled');
  });

  it('a held-then-cancelled one shows cancelled', () => {
    expect(statusOf(given([requested(small), held(alice), cancelled()]).state)).toBe('cancelled');
  });
});

describe('CancelDisbursement', () => {
  const cancelCmd = (source: 'treasurer' | 'grant_cancelled' = 'treasurer', actor = alice) =>
    ({
      type: 'CancelDisbursement',
      data: { reason: 'no', source },
      metadata: meta(actor),
    }) satisfies DisbursementCommand;

  it('cancels awaiting, approved, held and failed ones', () => {
    given([requested(small)])
      .when(cancelCmd())
      .then([cancelled()]);
    given(readyToRelease()).when(cancelCmd()).then([cancelled()]);
    given([...readyToRelease(), held(bob)])
      .when(cancelCmd())
      .then([cancelled()]);
    given([...readyToRelease(), released(1, small), failed(1)])
      .when(cancelCmd())
      .then([cancelled()]);
    expect(given([requested(small), cancelled()]).state.cancellation).toEqual({
      by: alice.sub,
      reason: 'no',
      at,
    });
  });

  it('a released or settled one is not cancellable', () => {
    given([...readyToRelease(), released(1, small)])
      .when(cancelCmd())
      .thenThrows('already_released', 409);
    const settled: DisbursementEvent = {
      type: 'DisbursementSettled',
      data: { ...ref, attempt: 1, txHash: 'h', settledAt: at },
    };
    given([...readyToRelease(), released(1, small), settled])
      .when(cancelCmd())
      .thenThrows('already_released', 409);
  });

  it('twice is a 409; only treasurers cancel by hand', () => {
    given([requested(small), cancelled()])
      .when(cancelCmd())
      .thenThrows('already_cancelled', 409);
    given([requested(small)])
      .when(cancelCmd('treasurer', { sub: 'x', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
  });

  it('a cancelled grant cancels unreleased ones and quietly skips the rest', () => {
    given([requested(small)])
      .when(cancelCmd('grant_cancelled', system))
      .then([
        {
          type: 'DisbursementCancelled',
          data: { ...ref, reason: 'no', cancelledBy: system.sub, cancelledAt: at },
        },
      ]);
    given([...readyToRelease(), released(1, small)])
      .when(cancelCmd('grant_cancelled', system))
      .thenNothing();
    given([requested(small), cancelled()])
      .when(cancelCmd('grant_cancelled', system))
      .thenNothing();
  });
});

describe('ReleaseDisbursement (the treasury run)', () => {
  it('releases an approved one that passes every gate, with its attempt and payload', () => {
    given(readyToRelease())
      .when(releaseCmd())
      .then([released(1, small)]);
    const state = given([...readyToRelease(), released(1, small)]).state;
    expect(state.phase).toBe('released');
    expect(state.attempts).toEqual([
      { attempt: 1, receiver: 'ada.near', releasedAt: at, txHashes: [], outcome: 'pending' },
    ]);
  });

  const waits = (history: DisbursementEvent[], g: ReleaseGates, reason: string, time = now) => {
    const error = given(history).when(releaseCmd(g, time)).thenThrows('release_blocked', 409);
    expect(error.reason).toBe(reason);
  };

  it('waits while paused, whatever else holds', () => {
    waits([...readyToRelease(), held(alice)], gates({ paused: true, grant: null }), 'paused');
  });

  it('waits while held', () => {
    waits([...readyToRelease(), held(alice)], gates({ grant: null }), 'held');
  });

  it('waits while the grant is unknown, awarded, cancelled or completed', () => {
    waits(readyToRelease(), gates({ grant: null, limitRemaining: 0n }), 'grant_not_active');
    for (const status of ['awarded', 'cancelled', 'completed', 'unknown'] as const) {
      waits(readyToRelease(), gates({ grant: activeGrant({ status }) }), 'grant_not_active');
    }
  });

  it('waits for KYC when missing, rejected or expired; not when KYC is not required', () => {
    waits(readyToRelease(), gates({ grant: activeGrant({ kycStatus: null }) }), 'kyc');
    waits(readyToRelease(), gates({ grant: activeGrant({ kycExpiresAt: '2026-11-30' }) }), 'kyc');
    given(readyToRelease())
      .when(releaseCmd(gates({ kycRequired: false, grant: activeGrant({ kycStatus: null }) })))
      .then([released(1, small)]);
  });

  it('waits for the payout-account cool-down, and releases once it is over', () => {
    const grant = activeGrant({ payoutAccountEffectiveAt: '2026-12-01T10:00:00.001Z' });
    waits(readyToRelease(), gates({ grant }), 'payout_account_cooldown');
    given(readyToRelease())
      .when(releaseCmd(gates({ grant }), new Date('2026-12-01T10:00:00.001Z')))
      .then([
        {
          ...released(1, small),
          data: { ...released(1, small).data, releasedAt: '2026-12-01T10:00:00.001Z' },
        } as DisbursementEvent,
      ]);
  });

  it('waits when the grant already pays another account than the disbursement', () => {
    waits(
      readyToRelease(),
      gates({ grant: activeGrant({ payoutAccount: 'other.near' }) }),
      'payout_account_cooldown',
    );
  });

  it('waits for approvals when the policy now needs more', () => {
    const error = given(readyToRelease())
      .when(releaseCmd(gates(), now, { dualApprovalThreshold: 1n }))
      .thenThrows('release_blocked');
    expect(error.reason).toBe('approvals');
  });

  it('waits for the daily limit when the amount exceeds what is left; exactly what is left releases', () => {
    waits(readyToRelease(), gates({ limitRemaining: small - 1n }), 'daily_limit');
    given(readyToRelease())
      .when(releaseCmd(gates({ limitRemaining: small })))
      .then([released(1, small)]);
  });

  it('refuses what is not approved: awaiting, released, failed, cancelled', () => {
    given([requested(small)])
      .when(releaseCmd())
      .thenThrows('not_approved', 409);
    given([...readyToRelease(), released(1, small)])
      .when(releaseCmd())
      .thenThrows('not_approved');
    given([...readyToRelease(), released(1, small), failed(1)])
      .when(releaseCmd())
      .thenThrows('not_approved');
    given([...readyToRelease(), cancelled()])
      .when(releaseCmd())
      .thenThrows('disbursement_cancelled');
  });
});

describe('settlement outcomes', () => {
  const submitted = (attempt: number, txHash = 'hash1'): DisbursementCommand => ({
    type: 'RecordPayoutSubmitted',
    data: { attempt, txHash },
    metadata: meta(system),
  });
  const settledCmd = (attempt: number): DisbursementCommand => ({
    type: 'RecordPayoutSettled',
    data: { attempt, txHash: 'hash1' },
    metadata: meta(system),
  });
  const failedCmd = (attempt: number): DisbursementCommand => ({
    type: 'RecordPayoutFailed',
    data: { attempt, txHash: null, reason: 'receiver does not exist' },
    metadata: meta(system),
  });
  const inFlight = () => [...readyToRelease(), released(1, small)];

  it('records the transaction hash of the attempt in flight, once', () => {
    const events = given(inFlight()).when(submitted(1)).events();
    expect(events).toEqual([
      {
        type: 'DisbursementPayoutSubmitted',
        data: { ...ref, attempt: 1, txHash: 'hash1', submittedAt: at },
      },
    ]);
    given([...inFlight(), ...events])
      .when(submitted(1))
      .thenNothing();
    expect(given([...inFlight(), ...events]).state.attempts[0].txHashes).toEqual(['hash1']);
    expect(
      given([...inFlight(), ...events])
        .when(submitted(1, 'hash2'))
        .events(),
    ).toHaveLength(1);
  });

  it('settles the attempt in flight', () => {
    given(inFlight())
      .when(settledCmd(1))
      .then([
        {
          type: 'DisbursementSettled',
          data: { ...ref, attempt: 1, txHash: 'hash1', settledAt: at },
        },
      ]);
    const state = given([...inFlight(), ...given(inFlight()).when(settledCmd(1)).events()]).state;
    expect(state.phase).toBe('settled');
    expect(state.attempts[0]).toMatchObject({
      outcome: 'settled',
      settledAt: at,
      txHashes: ['hash1'],
    });
  });

  it('fails the attempt in flight, keeping the reason', () => {
    given(inFlight())
      .when(failedCmd(1))
      .then([failed(1)]);
    const state = given([...inFlight(), failed(1)]).state;
    expect(state.phase).toBe('failed');
    expect(state.attempts[0]).toMatchObject({
      outcome: 'failed',
      reason: 'receiver does not exist',
    });
  });

  it('ignores outcomes of another attempt, or when nothing is in flight', () => {
    given(inFlight()).when(settledCmd(2)).thenNothing();
    given(inFlight()).when(failedCmd(2)).thenNothing();
    given(inFlight()).when(submitted(2)).thenNothing();
    given(readyToRelease()).when(settledCmd(1)).thenNothing();
    given([...inFlight(), failed(1)])
      .when(settledCmd(1))
      .thenNothing();
    given([...inFlight(), failed(1)])
      .when(failedCmd(1))
      .thenNothing();
  });
});

describe('RetryDisbursement', () => {
  const retry = (actor = alice, p = policy): DisbursementCommand => ({
    type: 'RetryDisbursement',
    data: { policy: p },
    metadata: meta(actor),
  });
  const failedOnce = () => [...readyToRelease(), released(1, small), failed(1)];

  it('goes round again as attempt 2 with the approvals kept', () => {
    const events = given(failedOnce()).when(retry()).events();
    expect(events).toEqual([
      {
        type: 'DisbursementRetried',
        data: {
          ...ref,
          attempt: 2,
          retriedBy: alice.sub,
          approvalsKept: 1,
          approved: true,
          retriedAt: at,
        },
      },
    ]);
    const state = given([...failedOnce(), ...events]).state;
    expect(state.phase).toBe('approved');
    expect(state.attempt).toBe(2);
    expect(state.readyAt).toBe(at);
    expect(
      given([...failedOnce(), ...events])
        .when(releaseCmd())
        .events()[0].data,
    ).toMatchObject({
      attempt: 2,
    });
  });

  it('after a receiver change the retried one needs approval again', () => {
    const change: DisbursementEvent = {
      type: 'DisbursementReceiverChanged',
      data: {
        ...ref,
        previousReceiver: 'ada.near',
        receiver: 'new.near',
        effectiveAt: at,
        voidedApprovals: [alice.sub],
        changedAt: at,
      },
    };
    const events = given([...failedOnce(), change])
      .when(retry())
      .events();
    expect(events[0].data).toMatchObject({ approvalsKept: 0, approved: false });
    const state = given([...failedOnce(), change, ...events]).state;
    expect(state.phase).toBe('awaiting_approval');
    expect(state.readyAt).toBeNull();
  });

  it('kept approvals that no longer meet the policy need another approval', () => {
    const events = given(failedOnce())
      .when(retry(alice, { dualApprovalThreshold: 1n }))
      .events();
    expect(events[0].data).toMatchObject({ approvalsKept: 1, approved: false });
  });

  it('only a failed one, by a treasurer', () => {
    given(readyToRelease()).when(retry()).thenThrows('not_failed', 409);
    given([...readyToRelease(), released(1, small)])
      .when(retry())
      .thenThrows('not_failed');
    given(failedOnce())
      .when(retry({ sub: 'x', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
    given([...failedOnce(), cancelled()])
      .when(retry())
      .thenThrows('disbursement_cancelled');
  });
});

describe('gate order: each gate is reported only once the ones before it pass', () => {
  it('paused → held → grant_not_active → kyc → payout_account_cooldown → approvals → daily_limit', () => {
    const history = [...readyToRelease(), held(alice)];
    const stateOf = (events: DisbursementEvent[]) => given(events).state;
    const order: [DisbursementEvent[], ReleaseGates, ApprovalPolicy, string | null][] = [
      [
        history,
        gates({ paused: true, grant: null, limitRemaining: 0n }),
        { dualApprovalThreshold: 1n },
        'paused',
      ],
      [history, gates({ grant: null, limitRemaining: 0n }), { dualApprovalThreshold: 1n }, 'held'],
      [
        readyToRelease(),
        gates({ grant: activeGrant({ status: 'awarded', kycStatus: null }), limitRemaining: 0n }),
        { dualApprovalThreshold: 1n },
        'grant_not_active',
      ],
      [
        readyToRelease(),
        gates({
          grant: activeGrant({ kycStatus: null, payoutAccount: 'x.near' }),
          limitRemaining: 0n,
        }),
        { dualApprovalThreshold: 1n },
        'kyc',
      ],
      [
        readyToRelease(),
        gates({ grant: activeGrant({ payoutAccount: 'x.near' }), limitRemaining: 0n }),
        { dualApprovalThreshold: 1n },
        'payout_account_cooldown',
      ],
      [
        readyToRelease(),
        gates({
          grant: activeGrant({ payoutAccountEffectiveAt: '2027-01-01T00:00:00.000Z' }),
          limitRemaining: 0n,
        }),
        { dualApprovalThreshold: 1n },
        'payout_account_cooldown',
      ],
      [readyToRelease(), gates({ limitRemaining: 0n }), { dualApprovalThreshold: 1n }, 'approvals'],
      [readyToRelease(), gates({ limitRemaining: 0n }), policy, 'daily_limit'],
      [readyToRelease(), gates(), policy, null],
    ];
    for (const [events, g, p, reason] of order) {
      expect(releaseBlocker(stateOf(events), g, p, now)).toBe(reason);
    }
  });
});

describe('evolve', () => {
  it('keeps one copy of a hash seen at submission and at settlement; a failure keeps its hash', () => {
    const submittedEvent: DisbursementEvent = {
      type: 'DisbursementPayoutSubmitted',
      data: { ...ref, attempt: 1, txHash: 'h1', submittedAt: at },
    };
    const base = [...readyToRelease(), released(1, small), submittedEvent];
    const settled: DisbursementEvent = {
      type: 'DisbursementSettled',
      data: { ...ref, attempt: 1, txHash: 'h1', settledAt: at },
    };
    expect(given([...base, settled]).state.attempts[0].txHashes).toEqual(['h1']);
    const failedWithHash: DisbursementEvent = {
      type: 'DisbursementFailed',
      data: { ...ref, attempt: 1, txHash: 'h2', reason: 'panic', failedAt: at },
    };
    expect(given([...base, failedWithHash]).state.attempts[0].txHashes).toEqual(['h1', 'h2']);
    const failedSameHash = { ...failedWithHash, data: { ...failedWithHash.data, txHash: 'h1' } };
    expect(given([...base, failedSameHash]).state.attempts[0].txHashes).toEqual(['h1']);
  });

  it('outcomes touch only their own attempt', () => {
    const retried: DisbursementEvent = {
      type: 'DisbursementRetried',
      data: {
        ...ref,
        attempt: 2,
        retriedBy: alice.sub,
        approvalsKept: 1,
        approved: true,
        retriedAt: at,
      },
    };
    const history = [
      ...readyToRelease(),
      released(1, small),
      failed(1),
      retried,
      released(2, small),
    ];
    const settled: DisbursementEvent = {
      type: 'DisbursementSettled',
      data: { ...ref, attempt: 2, txHash: 'h9', settledAt: at },
    };
    const state = given([...history, settled]).state;
    expect(state.attempts.map((a) => a.outcome)).toEqual(['failed', 'settled']);
    expect(state.attempts[0].txHashes).toEqual([]);
  });

  it('a held failed one shows held; a held released one cannot exist, a released one shows released', () => {
    expect(
      statusOf(given([...readyToRelease(), released(1, small), failed(1), held(alice)]).state),
    ).toBe('held');
    expect(statusOf(given([...readyToRelease(), released(1, small)]).state)).toBe('released');
  });

  it('ignores events on an empty state', () => {
    expect(evolve(initialState(), approved(alice, 1, 1, small))).toEqual({ status: 'empty' });
  });
});

// Pinned by mutation testing (docs/mutation.md): each test below kills mutants the others let live.
describe('rules pinned by mutation testing', () => {
  const retried = (attempt: number, approvedAgain = true): DisbursementEvent => ({
    type: 'DisbursementRetried',
    data: {
      ...ref,
      attempt,
      retriedBy: alice.sub,
      approvalsKept: 1,
      approved: approvedAgain,
      retriedAt: at,
    },
  });
  const submittedEvent = (attempt: number, txHash: string): DisbursementEvent => ({
    type: 'DisbursementPayoutSubmitted',
    data: { ...ref, attempt, txHash, submittedAt: at },
  });

  it('no configured threshold means two approvals, not a comparison with zero', () => {
    expect(requiredApprovals(0n, { dualApprovalThreshold: null })).toBe(2);
    expect(requiredApprovals(-1n, { dualApprovalThreshold: null })).toBe(2);
  });

  it('a released one with every approval it needs is refused as not awaiting approval', () => {
    given([...readyToRelease(), released(1, small)])
      .when(approve(bob))
      .thenThrows('not_awaiting_approval', 409);
    given([...readyToRelease(), released(1, small), failed(1)])
      .when(approve(bob))
      .thenThrows('not_awaiting_approval', 409);
  });

  it('refusals that depend on the phase name it; a blocked release names its gate', () => {
    const detail = (error: DisbursementError) => error.message;
    const released1 = [...readyToRelease(), released(1, small)];
    expect(
      detail(
        given(released1)
          .when(approve(bob, { dualApprovalThreshold: 1n }))
          .thenThrows('not_awaiting_approval'),
      ),
    ).toContain('phase: released');
    expect(
      detail(
        given(released1)
          .when({ type: 'HoldDisbursement', data: { reason: 'x' }, metadata: meta(alice) })
          .thenThrows('not_holdable'),
      ),
    ).toContain('phase: released');
    expect(
      detail(
        given(released1)
          .when({
            type: 'CancelDisbursement',
            data: { reason: 'x', source: 'treasurer' },
            metadata: meta(alice),
          })
          .thenThrows('already_released'),
      ),
    ).toContain('phase: released');
    expect(
      detail(
        given(released1)
          .when({ type: 'RetryDisbursement', data: { policy }, metadata: meta(alice) })
          .thenThrows('not_failed'),
      ),
    ).toContain('phase: released');
    expect(detail(given(released1).when(releaseCmd()).thenThrows('not_approved'))).toContain(
      'phase: released',
    );
    const blocked = given(readyToRelease())
      .when(releaseCmd(gates({ paused: true })))
      .thenThrows('release_blocked', 409);
    expect(blocked.message).toBe('waiting: paused');
    expect(blocked.reason).toBe('paused');
  });

  it('a hold on one awaiting approval shows held, and keeps who, why and when', () => {
    const state = given([requested(small), held(alice)]).state;
    expect(statusOf(state)).toBe('held');
    expect(state.phase).toBe('awaiting_approval');
    expect(state.hold).toEqual({ by: alice.sub, reason: 'checking', at });
    expect(statusOf(given([requested(small)]).state)).toBe('awaiting_approval');
  });

  it('an unknown command or a stored event of an unknown type is an error, never ignored', () => {
    const state = given(readyToRelease()).state;
    const bogusCommand = { type: 'PayTwice', data: {}, metadata: meta(alice) };
    expect(() => decide(bogusCommand as unknown as DisbursementCommand, state)).toThrow(
      /unhandled command .*PayTwice/,
    );
    const bogusEvent = { type: 'DisbursementDoubled', data: {} };
    expect(() => evolve(state, bogusEvent as unknown as DisbursementEvent)).toThrow(
      /unknown disbursement event .*DisbursementDoubled/,
    );
  });

  it('a requested disbursement exists', () => {
    expect(given([requested(small)]).state.status).toBe('exists');
  });

  it('a hash already seen on an earlier attempt is still recorded for the attempt in flight', () => {
    const history = [
      ...readyToRelease(),
      released(1, small),
      submittedEvent(1, 'h1'),
      failed(1),
      retried(2),
      released(2, small),
    ];
    const events = given(history)
      .when({
        type: 'RecordPayoutSubmitted',
        data: { attempt: 2, txHash: 'h1' },
        metadata: meta(system),
      })
      .events();
    expect(events).toEqual([submittedEvent(2, 'h1')]);
  });

  it('a submission and a failure touch only their own attempt', () => {
    const history = [
      ...readyToRelease(),
      released(1, small),
      submittedEvent(1, 'h1'),
      failed(1),
      retried(2),
      released(2, small),
      submittedEvent(2, 'h2'),
    ];
    const afterSubmit = given(history).state;
    expect(afterSubmit.attempts.map((a) => a.txHashes)).toEqual([['h1'], ['h2']]);
    const failedAgain: DisbursementEvent = {
      type: 'DisbursementFailed',
      data: { ...ref, attempt: 2, txHash: 'h2', reason: 'second reason', failedAt: at },
    };
    const state = given([...history, failedAgain]).state;
    expect(state.attempts[0]).toMatchObject({
      outcome: 'failed',
      reason: 'receiver does not exist',
      txHashes: ['h1'],
    });
    expect(state.attempts[1]).toMatchObject({
      outcome: 'failed',
      reason: 'second reason',
      txHashes: ['h2'],
    });
  });
});
