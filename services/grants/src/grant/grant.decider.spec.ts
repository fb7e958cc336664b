import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  type Actor,
  canonicalJson,
  canonicalTerms,
  evolve,
  type Grant,
  type GrantEvent,
  type GrantState,
  initialState,
  payoutAccountAt,
  scheduledPayoutAccountAt,
  termsHash,
} from './grant';
import { type GrantCommand, decide, decider, requireAcceptable } from './grant.decider';
import { GrantError, type GrantErrorCode } from './grant.errors';

// given(events) → when(command) → then(events | error)
function given(events: GrantEvent[]) {
  const state = events.reduce<GrantState>(evolve, initialState());
  return {
    state,
    when(command: GrantCommand) {
      const run = () => decide(command, state);
      return {
        then(expected: GrantEvent[]) {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: GrantErrorCode, status: number) {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(GrantError);
          expect((caught as GrantError).code).toBe(code);
          expect((caught as GrantError).status).toBe(status);
          return caught as GrantError;
        },
      };
    },
  };
}

const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
const later = (hours: number) => new Date(now.getTime() + hours * 3_600_000);
const USDC = 1_000_000n;

let id: string;
let founder: Actor;
let otherFounder: Actor;
let admin: Actor;
let reviewer: Actor;
let system: Actor;
let payout: string;
let newPayout: string;

beforeEach(() => {
  const suffix = randomUUID().slice(0, 8);
  id = randomUUID();
  founder = { sub: `ada-${suffix}.near`, roles: ['founder'] };
  otherFounder = { sub: `bob-${suffix}.near`, roles: ['founder'] };
  admin = { sub: `admin-${suffix}`, roles: ['admin'] };
  reviewer = { sub: `rev-${suffix}`, roles: ['reviewer'] };
  system = { sub: 'grants', roles: [] };
  payout = `ada-pay-${suffix}.near`;
  newPayout = `ada-new-${suffix}.near`;
});

const meta = (actor: Actor, when: Date = now) => ({ now: when, actor });

const tranches = () => [
  { number: 1, title: 'Prototype', dueDate: '2027-03-01', amount: 15_000n * USDC },
  { number: 2, title: 'Mainnet launch', dueDate: '2027-06-01', amount: 30_000n * USDC },
];

const award = (overrides: Partial<Extract<GrantCommand, { type: 'AwardGrant' }>['data']> = {}) =>
  ({
    type: 'AwardGrant',
    data: {
      grantId: id,
      founder: founder.sub,
      payoutAccount: payout,
      title: 'Verifiable inference',
      asset: 'USDC',
      amount: 45_000n * USDC,
      tranches: tranches(),
      awardedAt: at,
      ...overrides,
    },
    metadata: meta(system),
  }) satisfies GrantCommand;

const awarded = (): GrantEvent => ({
  type: 'GrantAwarded',
  data: {
    grantId: id,
    founder: founder.sub,
    payoutAccount: payout,
    title: 'Verifiable inference',
    asset: 'USDC',
    amount: (45_000n * USDC).toString(),
    tranches: [
      { number: 1, title: 'Prototype', dueDate: '2027-03-01', amount: (15_000n * USDC).toString() },
      {
        number: 2,
        title: 'Mainnet launch',
        dueDate: '2027-06-01',
        amount: (30_000n * USDC).toString(),
      },
    ],
    awardedAt: at,
  },
});

/** The terms part of GrantAwarded, as GrantActivated repeats them. */
const terms = () => {
  const {
    payoutAccount: _p,
    awardedAt: _a,
    ...rest
  } = (awarded() as Extract<GrantEvent, { type: 'GrantAwarded' }>).data;
  return rest;
};

const grantOf = (events: GrantEvent[]) => events.reduce(evolve, initialState()) as Grant;
const hashFor = (events: GrantEvent[], account = payout) => termsHash(grantOf(events), account);

const activated = (): GrantEvent => ({
  type: 'GrantActivated',
  data: {
    ...terms(),
    payoutAccount: payout,
    signerPublicKey: 'ed25519:key',
    termsHash: hashFor([awarded()]),
    acceptedBy: founder.sub,
    activatedAt: at,
  },
});

const accept = (actor: Actor, data: Partial<{ signerAccountId: string; termsHash: string }> = {}) =>
  ({
    type: 'AcceptGrant',
    data: {
      signerAccountId: payout,
      signerPublicKey: 'ed25519:key',
      termsHash: hashFor([awarded()]),
      ...data,
    },
    metadata: meta(actor),
  }) satisfies GrantCommand;

const changeRequested = (account = newPayout): GrantEvent => ({
  type: 'PayoutAccountChangeRequested',
  data: {
    grantId: id,
    payoutAccount: account,
    signerPublicKey: 'ed25519:new',
    requestedBy: founder.sub,
    requestedAt: at,
  },
});

const changed = (effectiveAt: string, account = newPayout, previous = payout): GrantEvent => ({
  type: 'PayoutAccountChanged',
  data: {
    grantId: id,
    previousAccount: previous,
    payoutAccount: account,
    approvedBy: admin.sub,
    approvedAt: at,
    effectiveAt,
  },
});

const cancelled = (): GrantEvent => ({
  type: 'GrantCancelled',
  data: {
    grantId: id,
    previousStatus: 'active',
    reason: 'Team dissolved',
    cancelledBy: admin.sub,
    cancelledAt: at,
  },
});

const settle = (tranche: number, settledAt = at) =>
  ({
    type: 'RecordTrancheSettled',
    data: { tranche, disbursementId: `${id}-${tranche}`, txHash: `tx${tranche}`, settledAt },
    metadata: meta(system),
  }) satisfies GrantCommand;

const trancheSettled = (tranche: number, settledAt = at): GrantEvent => ({
  type: 'TrancheSettled',
  data: {
    grantId: id,
    tranche,
    disbursementId: `${id}-${tranche}`,
    txHash: `tx${tranche}`,
    settledAt,
  },
});

const completed = (): GrantEvent => ({
  type: 'GrantCompleted',
  data: { grantId: id, completedAt: at },
});

describe('AwardGrant (from ApplicationApproved)', () => {
  it('awards a new grant with the terms, tranches in number order', () => {
    given([])
      .when(award({ tranches: [...tranches()].reverse() }))
      .then([awarded()]);
  });

  it('is a no-op for a grant that already exists (one grant per application)', () => {
    given([awarded()]).when(award()).then([]);
    given([awarded(), activated()])
      .when(award({ title: 'Other' }))
      .then([]);
  });

  it('evolves to awarded with the payout account in force from the start', () => {
    const grant = grantOf([awarded()]);
    expect(grant).toMatchObject({
      status: 'awarded',
      id,
      founder: founder.sub,
      asset: 'USDC',
      amount: 45_000n * USDC,
      awardedAt: at,
      updatedAt: at,
    });
    expect(grant.tranches.map((t) => t.amount)).toEqual([15_000n * USDC, 30_000n * USDC]);
    expect(payoutAccountAt(grant, now)).toBe(payout);
  });

  it.each([
    ['no tranches', { tranches: [] }],
    ['a zero amount', { amount: 0n, tranches: [{ ...tranches()[0], amount: 0n }] }],
    ['tranches that do not sum up', { amount: 45_000n * USDC + 1n }],
    ['a duplicate tranche', { tranches: [tranches()[0], { ...tranches()[1], number: 1 }] }],
    ['a tranche numbered 0', { tranches: [{ ...tranches()[0], number: 0 }, tranches()[1]] }],
    [
      'a non-positive tranche',
      {
        tranches: [
          { ...tranches()[0], amount: 45_000n * USDC + 1n },
          { ...tranches()[1], amount: -1n },
        ],
      },
    ],
  ])('refuses terms with %s', (_name, overrides) => {
    given([]).when(award(overrides)).thenThrows('invalid_terms', 422);
  });
});

describe('commands on a grant that does not exist', () => {
  it.each<() => GrantCommand>([
    () => accept(founder),
    () => ({ type: 'CancelGrant', data: { reason: 'x' }, metadata: meta(admin) }),
    () => ({
      type: 'RecordKycStatus',
      data: { status: 'verified', expiresAt: null },
      metadata: meta(admin),
    }),
    () => ({
      type: 'ApprovePayoutAccountChange',
      data: { payoutAccount: newPayout, cooldownHours: 48 },
      metadata: meta(admin),
    }),
    () => ({
      type: 'RequestPayoutAccountChange',
      data: { payoutAccount: newPayout, signerPublicKey: 'k' },
      metadata: meta(founder),
    }),
    () => settle(1),
  ])('are grant_not_found (%#)', (command) => {
    given([]).when(command()).thenThrows('grant_not_found', 404);
  });
});

describe('AcceptGrant', () => {
  it('activates an awarded grant signed by the payout account over the current terms', () => {
    given([awarded()]).when(accept(founder)).then([activated()]);
    const grant = grantOf([awarded(), activated()]);
    expect(grant.status).toBe('active');
    expect(grant.acceptance).toEqual({
      payoutAccount: payout,
      signerPublicKey: 'ed25519:key',
      termsHash: hashFor([awarded()]),
      acceptedAt: at,
    });
  });

  it('refuses another founder as if the grant did not exist', () => {
    given([awarded()]).when(accept(otherFounder)).thenThrows('grant_not_found', 404);
  });

  it('refuses a signature by another account than the payout account', () => {
    given([awarded()])
      .when(accept(founder, { signerAccountId: newPayout }))
      .thenThrows('signer_not_payout_account', 403);
  });

  it('refuses other terms', () => {
    given([awarded()])
      .when(accept(founder, { termsHash: 'f'.repeat(64) }))
      .thenThrows('terms_changed', 409);
  });

  it('refuses a grant that is not awarded any more', () => {
    given([awarded(), activated()]).when(accept(founder)).thenThrows('not_awarded', 409);
    given([awarded(), cancelled()]).when(accept(founder)).thenThrows('not_awarded', 409);
  });

  it('after an approved change, only the new account may sign, once it is in force', () => {
    const history = [awarded(), changeRequested(), changed(later(48).toISOString())];
    const newHash = hashFor(history, newPayout);
    // Before the cool-down ends the old account is still the payout account.
    given(history).when(accept(founder)).then([activated()]);
    given(history)
      .when({
        ...accept(founder, { signerAccountId: newPayout, termsHash: newHash }),
        metadata: meta(founder, later(48)),
      })
      .then([
        {
          type: 'GrantActivated',
          data: {
            ...terms(),
            payoutAccount: newPayout,
            signerPublicKey: 'ed25519:key',
            termsHash: newHash,
            acceptedBy: founder.sub,
            activatedAt: later(48).toISOString(),
          },
        },
      ]);
    given(history)
      .when({ ...accept(founder), metadata: meta(founder, later(48)) })
      .thenThrows('signer_not_payout_account', 403);
  });

  it('requireAcceptable is the rule the challenge uses too', () => {
    expect(() => requireAcceptable(grantOf([awarded()]), founder)).not.toThrow();
    expect(() => requireAcceptable(grantOf([awarded()]), otherFounder)).toThrow(GrantError);
    expect(() => requireAcceptable(grantOf([awarded(), activated()]), founder)).toThrow(
      'only an awarded grant',
    );
  });
});

describe('terms hash', () => {
  it('is the sha256 hex of canonical terms naming grant, receiver, asset, amounts and tranches', () => {
    const grant = grantOf([awarded()]);
    const canonical = canonicalTerms(grant, payout);
    expect(JSON.parse(canonical)).toEqual({
      amount: (45_000n * USDC).toString(),
      asset: 'USDC',
      founder: founder.sub,
      grantId: id,
      payoutAccount: payout,
      title: 'Verifiable inference',
      tranches: [
        { amount: '15000000000', dueDate: '2027-03-01', number: 1, title: 'Prototype' },
        { amount: '30000000000', dueDate: '2027-06-01', number: 2, title: 'Mainnet launch' },
      ],
    });
    expect(canonical.startsWith('{"amount":"45000000000","asset":"USDC","founder":')).toBe(true);
    expect(termsHash(grant, payout)).toMatch(/^[0-9a-f]{64}$/);
    expect(termsHash(grant, payout)).not.toBe(termsHash(grant, newPayout));
  });

  it('canonical JSON sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: undefined, b: null }] })).toBe(
      '{"a":[{"b":null,"d":"x"}],"b":1}',
    );
  });
});

describe('RequestPayoutAccountChange', () => {
  const request = (actor: Actor, account = newPayout, when = now) =>
    ({
      type: 'RequestPayoutAccountChange',
      data: { payoutAccount: account, signerPublicKey: 'ed25519:new' },
      metadata: meta(actor, when),
    }) satisfies GrantCommand;

  it('records the proven new account as awaiting approval (awarded or active)', () => {
    given([awarded()]).when(request(founder)).then([changeRequested()]);
    given([awarded(), activated()]).when(request(founder)).then([changeRequested()]);
    const grant = grantOf([awarded(), changeRequested()]);
    expect(grant.requestedPayoutAccount).toEqual({
      account: newPayout,
      requestedBy: founder.sub,
      requestedAt: at,
    });
    expect(payoutAccountAt(grant, later(1000))).toBe(payout);
  });

  it('refuses another founder', () => {
    given([awarded()]).when(request(otherFounder)).thenThrows('grant_not_found', 404);
  });

  it('refuses the account already in force or already scheduled', () => {
    given([awarded()]).when(request(founder, payout)).thenThrows('payout_account_unchanged', 409);
    const scheduled = [awarded(), changeRequested(), changed(later(48).toISOString())];
    given(scheduled).when(request(founder)).thenThrows('payout_account_unchanged', 409);
    // Once in force, the old one can be proposed again.
    given(scheduled)
      .when(request(founder, payout, later(49)))
      .then([
        {
          type: 'PayoutAccountChangeRequested',
          data: {
            grantId: id,
            payoutAccount: payout,
            signerPublicKey: 'ed25519:new',
            requestedBy: founder.sub,
            requestedAt: later(49).toISOString(),
          },
        },
      ]);
  });

  it('refuses a closed grant', () => {
    given([awarded(), cancelled()]).when(request(founder)).thenThrows('grant_closed', 409);
    given([awarded(), activated(), trancheSettled(1), trancheSettled(2), completed()])
      .when(request(founder))
      .thenThrows('grant_closed', 409);
  });
});

describe('ApprovePayoutAccountChange', () => {
  const approve = (actor: Actor, cooldownHours = 48, payoutAccount = newPayout) =>
    ({
      type: 'ApprovePayoutAccountChange',
      data: { payoutAccount, cooldownHours },
      metadata: meta(actor),
    }) satisfies GrantCommand;

  it('schedules the change effective after the cool-down', () => {
    given([awarded(), changeRequested()])
      .when(approve(admin))
      .then([changed('2026-12-03T10:00:00.000Z')]);
    given([awarded(), changeRequested()])
      .when(approve(admin, 0))
      .then([changed(at)]);
  });

  it('keeps the old account in force until effectiveAt, the new one from then', () => {
    const grant = grantOf([awarded(), changeRequested(), changed(later(48).toISOString())]);
    expect(grant.requestedPayoutAccount).toBeUndefined();
    expect(payoutAccountAt(grant, now)).toBe(payout);
    expect(payoutAccountAt(grant, new Date(later(48).getTime() - 1))).toBe(payout);
    expect(scheduledPayoutAccountAt(grant, new Date(later(48).getTime() - 1))).toEqual({
      account: newPayout,
      effectiveAt: later(48).toISOString(),
    });
    expect(payoutAccountAt(grant, later(48))).toBe(newPayout);
    expect(scheduledPayoutAccountAt(grant, later(48))).toBeUndefined();
  });

  it('names the latest account as the previous one', () => {
    const third = `third-${randomUUID().slice(0, 6)}.near`;
    given([awarded(), changeRequested(), changed(at), changeRequested(third)])
      .when(approve(admin, 48, third))
      .then([changed('2026-12-03T10:00:00.000Z', third, newPayout)]);
  });

  it('approves only the account it names: the one awaiting approval', () => {
    const third = `third-${randomUUID().slice(0, 6)}.near`;
    // The admin reviewed newPayout; the founder has since proposed third instead.
    given([awarded(), changeRequested(), changeRequested(third)])
      .when(approve(admin, 48, newPayout))
      .thenThrows('payout_account_mismatch', 409);
    given([awarded(), changeRequested(third)])
      .when(approve(admin, 48, third))
      .then([changed('2026-12-03T10:00:00.000Z', third)]);
  });

  it('needs a pending change', () => {
    given([awarded()]).when(approve(admin)).thenThrows('no_payout_account_change', 409);
    given([awarded(), changeRequested(), changed(at)])
      .when(approve(admin))
      .thenThrows('no_payout_account_change', 409);
  });

  it('needs an admin who is not the founder', () => {
    given([awarded(), changeRequested()])
      .when(approve(reviewer))
      .thenThrows('admin_role_required', 403);
    given([awarded(), changeRequested()])
      .when(approve(founder))
      .thenThrows('admin_role_required', 403);
    given([awarded(), changeRequested()])
      .when(approve({ sub: founder.sub, roles: ['admin'] }))
      .thenThrows('founder_cannot_approve', 403);
  });

  it('refuses a closed grant and a bad cool-down', () => {
    given([awarded(), changeRequested(), cancelled()])
      .when(approve(admin))
      .thenThrows('grant_closed', 409);
    given([awarded(), changeRequested()])
      .when(approve(admin, -1))
      .thenThrows('invalid_cooldown', 422);
    given([awarded(), changeRequested()])
      .when(approve(admin, 1.5))
      .thenThrows('invalid_cooldown', 422);
  });
});

describe('RecordKycStatus', () => {
  const kyc = (
    actor: Actor,
    status: 'verified' | 'rejected' | 'expired',
    expiresAt: string | null = null,
  ) =>
    ({
      type: 'RecordKycStatus',
      data: { status, expiresAt },
      metadata: meta(actor),
    }) satisfies GrantCommand;
  const kycChanged = (status: string, expiresAt: string | null = null): GrantEvent =>
    ({
      type: 'KycStatusChanged',
      data: { grantId: id, status, expiresAt, recordedBy: admin.sub, recordedAt: at },
    }) as GrantEvent;

  it('records each status, with an expiry date for a verification', () => {
    given([awarded()])
      .when(kyc(admin, 'verified', '2027-12-31'))
      .then([kycChanged('verified', '2027-12-31')]);
    given([awarded(), activated()])
      .when(kyc(admin, 'verified', '2026-12-01'))
      .then([kycChanged('verified', '2026-12-01')]);
    given([awarded()])
      .when(kyc(admin, 'rejected'))
      .then([kycChanged('rejected')]);
    given([awarded()])
      .when(kyc(admin, 'expired'))
      .then([kycChanged('expired')]);
    expect(grantOf([awarded(), kycChanged('verified', '2027-12-31')]).kyc).toEqual({
      status: 'verified',
      expiresAt: '2027-12-31',
      recordedBy: admin.sub,
      recordedAt: at,
    });
  });

  it('refuses an expiry in the past or on a status other than verified', () => {
    given([awarded()])
      .when(kyc(admin, 'verified', '2026-11-30'))
      .thenThrows('kyc_expiry_not_in_future', 422);
    given([awarded()])
      .when(kyc(admin, 'rejected', '2027-01-01'))
      .thenThrows('kyc_expiry_not_allowed', 422);
  });

  it('needs an admin and an open grant', () => {
    given([awarded()]).when(kyc(reviewer, 'verified')).thenThrows('admin_role_required', 403);
    given([awarded()]).when(kyc(founder, 'verified')).thenThrows('admin_role_required', 403);
    given([awarded(), cancelled()]).when(kyc(admin, 'verified')).thenThrows('grant_closed', 409);
  });
});

describe('CancelGrant', () => {
  const cancel = (actor: Actor, reason = 'Team dissolved') =>
    ({ type: 'CancelGrant', data: { reason }, metadata: meta(actor) }) satisfies GrantCommand;

  it('cancels an awarded or active grant with the (trimmed) reason', () => {
    given([awarded(), activated()]).when(cancel(admin, '  Team dissolved ')).then([cancelled()]);
    given([awarded()])
      .when(cancel(admin))
      .then([
        {
          type: 'GrantCancelled',
          data: { ...(cancelled().data as object), previousStatus: 'awarded' },
        } as GrantEvent,
      ]);
    expect(grantOf([awarded(), cancelled()])).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'Team dissolved', cancelledBy: admin.sub, cancelledAt: at },
    });
  });

  it('refuses a completed or cancelled grant', () => {
    given([awarded(), cancelled()]).when(cancel(admin)).thenThrows('grant_closed', 409);
    given([awarded(), activated(), trancheSettled(1), trancheSettled(2), completed()])
      .when(cancel(admin))
      .thenThrows('grant_closed', 409);
  });

  it('needs an admin (the reason is the DTO’s rule: grant.dto.spec.ts)', () => {
    given([awarded()]).when(cancel(reviewer)).thenThrows('admin_role_required', 403);
    given([awarded()]).when(cancel(founder)).thenThrows('admin_role_required', 403);
  });
});

describe('RecordTrancheSettled → GrantCompleted', () => {
  it('records a settled tranche; the grant completes when every tranche is settled', () => {
    given([awarded(), activated()])
      .when(settle(1))
      .then([trancheSettled(1)]);
    given([awarded(), activated(), trancheSettled(1)])
      .when(settle(2))
      .then([trancheSettled(2), completed()]);
    const grant = grantOf([
      awarded(),
      activated(),
      trancheSettled(1),
      trancheSettled(2),
      completed(),
    ]);
    expect(grant.status).toBe('completed');
    expect(grant.completedAt).toBe(at);
    expect(grant.settled).toEqual({
      1: { txHash: 'tx1', settledAt: at },
      2: { txHash: 'tx2', settledAt: at },
    });
  });

  it('completes at the time the last tranche settled', () => {
    const last = later(5).toISOString();
    given([awarded(), activated(), trancheSettled(2)])
      .when(settle(1, last))
      .then([
        trancheSettled(1, last),
        { type: 'GrantCompleted', data: { grantId: id, completedAt: last } },
      ]);
  });

  it('a redelivered settlement changes nothing', () => {
    given([awarded(), activated(), trancheSettled(1)])
      .when(settle(1))
      .then([]);
    given([awarded(), activated(), trancheSettled(1), trancheSettled(2), completed()])
      .when(settle(2))
      .then([]);
  });

  it('records money settled after a cancellation without completing the grant', () => {
    given([awarded(), activated(), trancheSettled(1), cancelled()])
      .when(settle(2))
      .then([trancheSettled(2)]);
  });

  it('refuses an unknown tranche', () => {
    given([awarded(), activated()]).when(settle(3)).thenThrows('unknown_tranche', 422);
  });
});

describe('evolve', () => {
  it('ignores events on a stream that was never awarded', () => {
    expect(evolve(initialState(), activated())).toEqual({ status: 'empty' });
  });

  it('moves updatedAt with every event', () => {
    const t = (h: number) => later(h).toISOString();
    const events: GrantEvent[] = [
      awarded(),
      {
        ...changeRequested(),
        data: { ...(changeRequested().data as object), requestedAt: t(1) },
      } as GrantEvent,
      {
        ...changed(t(50)),
        data: { ...(changed(t(50)).data as object), approvedAt: t(2) },
      } as GrantEvent,
      {
        type: 'KycStatusChanged',
        data: {
          grantId: id,
          status: 'verified',
          expiresAt: null,
          recordedBy: admin.sub,
          recordedAt: t(3),
        },
      },
      {
        type: 'GrantActivated',
        data: { ...(activated().data as object), activatedAt: t(4) },
      } as GrantEvent,
      trancheSettled(1, t(5)),
      {
        type: 'GrantCancelled',
        data: { ...(cancelled().data as object), cancelledAt: t(6) },
      } as GrantEvent,
    ];
    let state: GrantState = initialState();
    events.forEach((event, i) => {
      state = evolve(state, event);
      expect((state as Grant).updatedAt).toBe(i === 0 ? at : t(i));
    });
    expect((state as Grant).awardedAt).toBe(at);
  });
});

describe('random command sequences on one grant (property)', () => {
  const commandArb = fc.oneof(
    fc.record({
      kind: fc.constant('accept' as const),
      byPayout: fc.boolean(),
      current: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('request' as const), fresh: fc.boolean() }),
    fc.record({ kind: fc.constant('approve' as const), asAdmin: fc.boolean() }),
    fc.record({
      kind: fc.constant('kyc' as const),
      status: fc.constantFrom('verified' as const, 'rejected' as const, 'expired' as const),
    }),
    fc.record({ kind: fc.constant('cancel' as const), asAdmin: fc.boolean() }),
    fc.record({ kind: fc.constant('settle' as const), tranche: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('award' as const) }),
    fc.record({ kind: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 72 }) }),
  );

  it('keeps the lifecycle, pays attention to every rule, and completes once when all tranches settle', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), (script) => {
        let events: GrantEvent[] = [awarded()];
        let clock = now;
        let accounts = 0;
        for (const step of script) {
          const state = grantOf(events);
          const meta2 = (actor: Actor) => ({ now: clock, actor });
          let command: GrantCommand | undefined;
          switch (step.kind) {
            case 'wait':
              clock = new Date(clock.getTime() + step.hours * 3_600_000);
              break;
            case 'accept': {
              const account = payoutAccountAt(state, clock);
              command = {
                type: 'AcceptGrant',
                data: {
                  signerAccountId: step.byPayout ? account : `x-${account}`,
                  signerPublicKey: 'ed25519:k',
                  termsHash: step.current ? termsHash(state, account) : '0'.repeat(64),
                },
                metadata: meta2(founder),
              };
              break;
            }
            case 'request':
              command = {
                type: 'RequestPayoutAccountChange',
                data: {
                  payoutAccount: step.fresh
                    ? `acct-${(accounts += 1)}.near`
                    : payoutAccountAt(state, clock),
                  signerPublicKey: 'ed25519:n',
                },
                metadata: meta2(founder),
              };
              break;
            case 'approve':
              command = {
                type: 'ApprovePayoutAccountChange',
                data: {
                  payoutAccount: state.requestedPayoutAccount?.account ?? 'none.near',
                  cooldownHours: 48,
                },
                metadata: meta2(step.asAdmin ? admin : reviewer),
              };
              break;
            case 'kyc':
              command = {
                type: 'RecordKycStatus',
                data: { status: step.status, expiresAt: null },
                metadata: meta2(admin),
              };
              break;
            case 'cancel':
              command = {
                type: 'CancelGrant',
                data: { reason: 'r' },
                metadata: meta2(step.asAdmin ? admin : founder),
              };
              break;
            case 'settle':
              command = { ...settle(step.tranche, clock.toISOString()), metadata: meta2(system) };
              break;
            case 'award':
              command = award();
              break;
          }
          if (!command) continue;
          let decided: GrantEvent[];
          try {
            decided = decide(command, state);
          } catch (error) {
            expect(error).toBeInstanceOf(GrantError); // a rule, never a crash
            continue;
          }
          const before = state.status;
          for (const event of decided) {
            // what may happen from where the grant is
            if (FINAL.includes(before)) expect(event.type).toBe('TrancheSettled');
            if (event.type === 'GrantActivated') expect(before).toBe('awarded');
            if (event.type === 'GrantCompleted') expect(before).toBe('active');
            if (event.type === 'PayoutAccountChanged') {
              expect(state.requestedPayoutAccount?.account).toBe(event.data.payoutAccount);
              expect(Date.parse(event.data.effectiveAt) - Date.parse(event.data.approvedAt)).toBe(
                48 * 3_600_000,
              );
            }
          }
          events = [...events, ...decided];
        }
        const types = events.map((e) => e.type);
        const count = (type: string) => types.filter((t) => t === type).length;
        expect(count('GrantAwarded')).toBe(1);
        expect(count('GrantActivated')).toBeLessThanOrEqual(1);
        expect(count('GrantCompleted')).toBeLessThanOrEqual(1);
        expect(count('GrantCompleted') + count('GrantCancelled')).toBeLessThanOrEqual(1);
        const settledTranches = events.flatMap((e) =>
          e.type === 'TrancheSettled' ? [e.data.tranche] : [],
        );
        expect(new Set(settledTranches).size).toBe(settledTranches.length);
        expect(settledTranches.every((t) => t === 1 || t === 2)).toBe(true);
        if (count('GrantCompleted') === 1) {
          const completedAt = types.indexOf('GrantCompleted');
          const settledBefore = events
            .slice(0, completedAt)
            .flatMap((e) => (e.type === 'TrancheSettled' ? [e.data.tranche] : []));
          expect([...settledBefore].sort()).toEqual([1, 2]);
          expect(types.indexOf('GrantActivated')).toBeLessThan(completedAt);
        }
        if (count('GrantCancelled') === 1) {
          expect(
            types.slice(types.indexOf('GrantCancelled') + 1).every((t) => t === 'TrancheSettled'),
          ).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

const FINAL = ['completed', 'cancelled'];

describe('pinned rules and error details (mutation testing)', () => {
  const fails = (
    events: GrantEvent[],
    command: GrantCommand,
    code: GrantErrorCode,
    status: number,
    message: string,
    errors?: unknown,
  ) => {
    const error = given(events).when(command).thenThrows(code, status);
    expect(error.message).toBe(message);
    expect(error.errors).toEqual(errors);
  };
  const invalid = (overrides: Parameters<typeof award>[0], problems: string) =>
    fails([], award(overrides), 'invalid_terms', 422, `invalid grant terms: ${problems}`);
  const t1 = () => tranches()[0];
  const t2 = () => tranches()[1];
  const request = (account: string, when: Date) =>
    ({
      type: 'RequestPayoutAccountChange',
      data: { payoutAccount: account, signerPublicKey: 'ed25519:new' },
      metadata: meta(founder, when),
    }) satisfies GrantCommand;
  const approve = (actor: Actor, cooldownHours = 48, payoutAccount = newPayout) =>
    ({
      type: 'ApprovePayoutAccountChange',
      data: { payoutAccount, cooldownHours },
      metadata: meta(actor),
    }) satisfies GrantCommand;
  const kyc = (status: 'verified' | 'rejected' | 'expired', expiresAt: string | null) =>
    ({
      type: 'RecordKycStatus',
      data: { status, expiresAt },
      metadata: meta(admin),
    }) satisfies GrantCommand;
  const cancel = (actor: Actor, reason = 'Team dissolved') =>
    ({ type: 'CancelGrant', data: { reason }, metadata: meta(actor) }) satisfies GrantCommand;
  const done = () => [awarded(), activated(), trancheSettled(1), trancheSettled(2), completed()];

  it('refuses a tranche of 0 even when the tranches sum up', () => {
    invalid(
      {
        amount: 10n,
        tranches: [
          { ...t1(), amount: 10n },
          { ...t2(), amount: 0n },
        ],
      },
      'tranche amounts must be positive',
    );
  });
  it('names every problem of the terms, exactly', () => {
    invalid({ tranches: [] }, 'at least one tranche; tranche amounts must sum to the amount');
    invalid({ amount: 0n, tranches: [] }, 'the amount must be positive; at least one tranche');
    invalid(
      { amount: 0n, tranches: [{ ...t1(), amount: 0n }] },
      'the amount must be positive; tranche amounts must be positive',
    );
    invalid(
      { amount: -1n, tranches: [{ ...t1(), amount: -1n }] },
      'the amount must be positive; tranche amounts must be positive',
    );
    invalid({ tranches: [t1(), { ...t2(), number: 1 }] }, 'one tranche per milestone');
    for (const number of [0, -1, 1.5]) {
      invalid({ tranches: [t1(), { ...t2(), number }] }, 'tranches are numbered from 1');
    }
    invalid({ amount: 45_000n * USDC - 1n }, 'tranche amounts must sum to the amount');
    given([])
      .when(award({ amount: 1n, tranches: [{ ...t1(), amount: 1n }] }))
      .then([
        {
          type: 'GrantAwarded',
          data: {
            ...(awarded() as Extract<GrantEvent, { type: 'GrantAwarded' }>).data,
            amount: '1',
            tranches: [{ number: 1, title: 'Prototype', dueDate: '2027-03-01', amount: '1' }],
          },
        },
      ]);
  });

  it('error messages of acceptance', () => {
    fails([], accept(founder), 'grant_not_found', 404, 'no such grant');
    fails([awarded()], accept(otherFounder), 'grant_not_found', 404, 'no such grant');
    fails(
      [awarded(), activated()],
      accept(founder),
      'not_awarded',
      409,
      'only an awarded grant can be accepted (status: active)',
    );
    fails(
      [awarded()],
      accept(founder, { signerAccountId: newPayout }),
      'signer_not_payout_account',
      403,
      `the terms must be signed by the payout account ${payout}`,
    );
    fails(
      [awarded()],
      accept(founder, { termsHash: 'f'.repeat(64) }),
      'terms_changed',
      409,
      'the signed terms are not the grant’s current terms',
    );
  });

  it('the payout account after an approved change has taken effect', () => {
    const history = [awarded(), changeRequested(), changed(later(48).toISOString())];
    const unchanged = (account: string) =>
      `${account} already is (or is about to become) the payout account`;
    // Scheduled, then in force: the new account cannot be requested again either way.
    fails(
      history,
      request(newPayout, later(47)),
      'payout_account_unchanged',
      409,
      unchanged(newPayout),
    );
    fails(
      history,
      request(newPayout, later(48)),
      'payout_account_unchanged',
      409,
      unchanged(newPayout),
    );
    fails(history, request(payout, later(47)), 'payout_account_unchanged', 409, unchanged(payout));
    given(history)
      .when(request(payout, later(48)))
      .then([
        {
          type: 'PayoutAccountChangeRequested',
          data: {
            grantId: id,
            payoutAccount: payout,
            signerPublicKey: 'ed25519:new',
            requestedBy: founder.sub,
            requestedAt: later(48).toISOString(),
          },
        },
      ]);
    // Two changes: the latest one whose effectiveAt has passed is in force.
    const third = `third-${randomUUID().slice(0, 6)}.near`;
    const chain = grantOf([
      ...history,
      changeRequested(third),
      changed(later(96).toISOString(), third, newPayout),
    ]);
    expect(payoutAccountAt(chain, later(47))).toBe(payout);
    expect(payoutAccountAt(chain, later(48))).toBe(newPayout);
    expect(payoutAccountAt(chain, later(95))).toBe(newPayout);
    expect(payoutAccountAt(chain, later(96))).toBe(third);
    expect(scheduledPayoutAccountAt(chain, later(48))).toEqual({
      account: third,
      effectiveAt: later(96).toISOString(),
    });
    expect(scheduledPayoutAccountAt(chain, later(96))).toBeUndefined();
    expect(scheduledPayoutAccountAt(grantOf([awarded()]), now)).toBeUndefined();
    expect(scheduledPayoutAccountAt(grantOf(history), later(1000))).toBeUndefined();
  });

  it('error messages of payout-account changes', () => {
    fails(
      [awarded()],
      approve(admin),
      'no_payout_account_change',
      409,
      'no payout-account change awaits approval',
    );
    fails(
      [awarded(), changeRequested()],
      approve({ sub: founder.sub, roles: ['admin'] }),
      'founder_cannot_approve',
      403,
      'the founder cannot approve their own change',
    );
    fails(
      [awarded(), changeRequested()],
      approve(reviewer),
      'admin_role_required',
      403,
      'this action needs the admin role',
    );
    for (const hours of [-1, 1.5, Number.NaN]) {
      fails(
        [awarded(), changeRequested()],
        approve(admin, hours),
        'invalid_cooldown',
        422,
        'the cool-down must be a whole number of hours ≥ 0',
      );
    }
    fails(
      [awarded(), changeRequested(`other-${id.slice(0, 6)}.near`)],
      approve(admin),
      'payout_account_mismatch',
      409,
      `the change awaiting approval is for other-${id.slice(0, 6)}.near, not ${newPayout}`,
    );
    fails(
      [awarded(), changeRequested(), cancelled()],
      approve(admin),
      'grant_closed',
      409,
      'the grant is cancelled',
    );
    fails(done(), request(newPayout, now), 'grant_closed', 409, 'the grant is completed');
    fails(
      [awarded()],
      { ...request(newPayout, now), metadata: meta(otherFounder) },
      'grant_not_found',
      404,
      'no such grant',
    );
  });

  it('KYC refusals list the field problem', () => {
    fails(
      [awarded()],
      kyc('rejected', '2027-01-01'),
      'kyc_expiry_not_allowed',
      422,
      'only a verification has an expiry date',
      [{ field: 'expiresAt', code: 'not_allowed', message: 'only with status verified' }],
    );
    fails(
      [awarded()],
      kyc('expired', '2027-01-01'),
      'kyc_expiry_not_allowed',
      422,
      'only a verification has an expiry date',
      [{ field: 'expiresAt', code: 'not_allowed', message: 'only with status verified' }],
    );
    fails(
      [awarded()],
      kyc('verified', '2026-11-30'),
      'kyc_expiry_not_in_future',
      422,
      'expiresAt must not be before 2026-12-01',
      [{ field: 'expiresAt', code: 'date_in_past', message: 'must not be before 2026-12-01' }],
    );
    fails(done(), kyc('verified', null), 'grant_closed', 409, 'the grant is completed');
  });

  it('a cancellation needs the admin role and an open grant', () => {
    fails(
      [awarded()],
      cancel(founder),
      'admin_role_required',
      403,
      'this action needs the admin role',
    );
    fails(done(), cancel(admin), 'grant_closed', 409, 'the grant is completed');
  });

  it('an unknown tranche names the grant and the tranche', () => {
    fails(
      [awarded(), activated()],
      settle(3),
      'unknown_tranche',
      422,
      `grant ${id} has no tranche 3`,
    );
    fails(
      [awarded(), activated()],
      settle(0),
      'unknown_tranche',
      422,
      `grant ${id} has no tranche 0`,
    );
  });

  it('an unknown command or stored event is an error, never ignored', () => {
    const unknown = { type: 'Nope', data: {}, metadata: meta(admin) } as unknown as GrantCommand;
    expect(() => decide(unknown, given([awarded()]).state)).toThrow(
      'unhandled variant: {"type":"Nope"',
    );
    expect(() =>
      evolve(given([awarded()]).state, { type: 'Nope', data: {} } as unknown as GrantEvent),
    ).toThrow('unhandled variant: {"type":"Nope","data":{}}');
  });

  it('exports the decider as one object', () => {
    expect(decider.decide).toBe(decide);
    expect(decider.evolve).toBe(evolve);
    expect(decider.initialState()).toEqual({ status: 'empty' });
  });
});
