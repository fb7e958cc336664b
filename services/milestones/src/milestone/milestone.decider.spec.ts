import fc from 'fast-check';
import {
  type Actor,
  decide,
  evolve,
  initialState,
  type MilestoneCommand,
  type MilestoneEvent,
  type MilestoneState,
} from './milestone.decider';
import { MilestoneError } from './milestone.errors';

const GRANT = '5b0c2a8e-4f7d-4a57-9a57-1f1d2c3b4a59';
const FOUNDER: Actor = { sub: 'ada.near', roles: ['founder'] };
const OTHER_FOUNDER: Actor = { sub: 'eve.near', roles: ['founder'] };
const REVIEWER: Actor = { sub: 'rev-alice', roles: ['reviewer'] };
const ADMIN: Actor = { sub: 'admin-bob', roles: ['admin'] };
const TREASURER: Actor = { sub: 'treasurer-tom', roles: ['treasurer'] };
const GRANT_ADMIN: Actor = { sub: 'admin-carol', roles: [] };
const now = new Date('2027-01-15T10:00:00.000Z');
const meta = (actor: Actor) => ({ now, actor });

const open = (number = 1): MilestoneCommand => ({
  type: 'OpenMilestone',
  data: {
    grantId: GRANT,
    number,
    title: `Milestone ${number}`,
    dueDate: '2027-03-01',
    asset: 'USDC',
    amount: 15_000_000_000n,
    founder: FOUNDER.sub,
  },
  metadata: meta(GRANT_ADMIN),
});
const submit = (actor: Actor = FOUNDER): MilestoneCommand => ({
  type: 'SubmitMilestone',
  data: { summary: 'Prototype runs end to end', evidenceUrls: ['https://github.com/ada/proto'] },
  metadata: meta(actor),
});
const accept = (actor: Actor = REVIEWER): MilestoneCommand => ({
  type: 'ReviewMilestone',
  data: { decision: 'accept' },
  metadata: meta(actor),
});
const reject = (actor: Actor = REVIEWER): MilestoneCommand => ({
  type: 'ReviewMilestone',
  data: { decision: 'reject', comment: 'The evidence link is private' },
  metadata: meta(actor),
});
const cancel = (number = 1): MilestoneCommand => ({
  type: 'CancelMilestone',
  data: { grantId: GRANT, number, reason: 'Team dissolved' },
  metadata: meta(GRANT_ADMIN),
});

/** given(commands that succeed) → when(command) → then(events | error code). */
function given(...history: MilestoneCommand[]) {
  let state: MilestoneState = initialState();
  for (const command of history) {
    for (const event of decide(command, state)) state = evolve(state, event);
  }
  return {
    when: (command: MilestoneCommand) => ({
      then(expected: { type: MilestoneEvent['type']; data?: Record<string, unknown> }[]) {
        expect(decide(command, state)).toMatchObject(expected);
      },
      thenError(code: string) {
        let caught: unknown;
        try {
          decide(command, state);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(MilestoneError);
        expect((caught as MilestoneError).code).toBe(code);
        // Every refusal carries a detail for the problem+json body.
        expect((caught as MilestoneError).message).not.toBe('');
      },
    }),
  };
}

describe('Milestone decider', () => {
  describe('OpenMilestone (GrantActivated)', () => {
    it('opens a pending milestone with the tranche terms', () =>
      given()
        .when(open(2))
        .then([
          {
            type: 'MilestoneOpened',
            data: {
              grantId: GRANT,
              number: 2,
              title: 'Milestone 2',
              dueDate: '2027-03-01',
              asset: 'USDC',
              amount: '15000000000',
              founder: 'ada.near',
              openedAt: now.toISOString(),
            },
          },
        ]));
    it('opens nothing the second time', () => given(open()).when(open()).then([]));
    it('opens nothing once the grant was cancelled before activation was processed', () =>
      given(cancel()).when(open()).then([]));
  });

  describe('SubmitMilestone', () => {
    it('submits a pending milestone as submission 1', () =>
      given(open())
        .when(submit())
        .then([
          {
            type: 'MilestoneSubmitted',
            data: {
              grantId: GRANT,
              number: 1,
              submission: 1,
              summary: 'Prototype runs end to end',
              evidenceUrls: ['https://github.com/ada/proto'],
              submittedBy: 'ada.near',
            },
          },
        ]));
    it('resubmits a rejected milestone as submission 2', () =>
      given(open(), submit(), reject())
        .when(submit())
        .then([{ type: 'MilestoneSubmitted', data: { submission: 2 } }]));
    it('refuses another founder', () =>
      given(open()).when(submit(OTHER_FOUNDER)).thenError('not_owner'));
    it('refuses a milestone that was never opened', () =>
      given().when(submit()).thenError('milestone_not_found'));
    it('refuses a second submission while one awaits review', () =>
      given(open(), submit()).when(submit()).thenError('already_submitted'));
    it('refuses an accepted milestone', () =>
      given(open(), submit(), accept()).when(submit()).thenError('already_accepted'));
    it('refuses a cancelled milestone', () =>
      given(open(), cancel()).when(submit()).thenError('milestone_cancelled'));
  });

  describe('ReviewMilestone', () => {
    it('accepts with the amount, asset, founder and acceptor', () =>
      given(open(), submit())
        .when(accept(ADMIN))
        .then([
          {
            type: 'MilestoneAccepted',
            data: {
              grantId: GRANT,
              number: 1,
              submission: 1,
              asset: 'USDC',
              amount: '15000000000',
              founder: 'ada.near',
              acceptedBy: 'admin-bob',
              acceptedAt: now.toISOString(),
            },
          },
        ]));
    it('rejects with the comment', () =>
      given(open(), submit())
        .when(reject())
        .then([
          {
            type: 'MilestoneRejected',
            data: {
              submission: 1,
              comment: 'The evidence link is private',
              rejectedBy: 'rev-alice',
            },
          },
        ]));
    it('refuses a pending milestone', () =>
      given(open()).when(accept()).thenError('not_submitted'));
    it('refuses a rejected milestone (nothing new to review)', () =>
      given(open(), submit(), reject()).when(accept()).thenError('not_submitted'));
    it('refuses an accepted milestone', () =>
      given(open(), submit(), accept()).when(accept()).thenError('already_accepted'));
    it('refuses a cancelled milestone', () =>
      given(open(), submit(), cancel()).when(accept()).thenError('milestone_cancelled'));
    it('refuses a caller without the reviewer or admin role', () =>
      given(open(), submit()).when(accept(TREASURER)).thenError('review_role_required'));
    it('refuses the founder even with a reviewer role', () =>
      given(open(), submit())
        .when(accept({ sub: FOUNDER.sub, roles: ['founder', 'reviewer'] }))
        .thenError('founder_cannot_review'));
  });

  describe('CancelMilestone (GrantCancelled)', () => {
    it.each([
      ['pending', [open()]],
      ['submitted', [open(), submit()]],
      ['rejected', [open(), submit(), reject()]],
    ])('closes a %s milestone', (previousStatus, history) =>
      given(...history)
        .when(cancel())
        .then([
          {
            type: 'MilestoneCancelled',
            data: { previousStatus, reason: 'Team dissolved', cancelledBy: 'admin-carol' },
          },
        ]),
    );
    it('leaves an accepted milestone accepted', () =>
      given(open(), submit(), accept()).when(cancel()).then([]));
    it('is a no-op the second time', () => given(open(), cancel()).when(cancel()).then([]));
    it('closes a tranche that was never opened, once', () => {
      given()
        .when(cancel())
        .then([{ type: 'MilestoneCancelled', data: { previousStatus: 'not_opened' } }]);
      given(cancel()).when(cancel()).then([]);
    });
  });
});

////////// property: the Allo audit bug can never happen

type Step =
  | { kind: 'submit'; tranche: number; actor: Actor }
  | { kind: 'review'; tranche: number; decision: 'accept' | 'reject'; actor: Actor }
  | { kind: 'cancel' };

const TRANCHES = 3;
const actorArb = fc.constantFrom(FOUNDER, OTHER_FOUNDER, REVIEWER, ADMIN, TREASURER);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      tranche: fc.integer({ min: 1, max: TRANCHES }),
      actor: actorArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('review' as const),
      tranche: fc.integer({ min: 1, max: TRANCHES }),
      decision: fc.constantFrom('accept' as const, 'reject' as const),
      actor: actorArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const) }) },
);

/** Runs `steps` on one grant's milestones; returns every stream's events and the whole log. */
function runGrant(steps: Step[]) {
  const states = new Map<number, MilestoneState>();
  const streams = new Map<number, MilestoneEvent[]>();
  const log: {
    tranche: number;
    event: MilestoneEvent;
    statusBefore: string;
    afterCancel: boolean;
  }[] = [];
  let cancelled = false;
  const apply = (tranche: number, command: MilestoneCommand) => {
    const state = states.get(tranche) ?? initialState();
    let events: MilestoneEvent[];
    try {
      events = decide(command, state);
    } catch (error) {
      if (error instanceof MilestoneError) return;
      throw error;
    }
    let next = state;
    for (const event of events) {
      log.push({ tranche, event, statusBefore: next.status, afterCancel: cancelled });
      next = evolve(next, event);
    }
    states.set(tranche, next);
    streams.set(tranche, [...(streams.get(tranche) ?? []), ...events]);
  };
  for (let n = 1; n <= TRANCHES; n++) apply(n, open(n));
  for (const step of steps) {
    switch (step.kind) {
      case 'submit':
        apply(step.tranche, submit(step.actor));
        break;
      case 'review':
        apply(step.tranche, step.decision === 'accept' ? accept(step.actor) : reject(step.actor));
        break;
      case 'cancel':
        for (let n = 1; n <= TRANCHES; n++) apply(n, cancel(n));
        cancelled = true;
        break;
      default: {
        const unknownStep: never = step;
        throw new Error(String(unknownStep));
      }
    }
  }
  return { states, streams, log };
}

describe('property: random submit / review / cancel sequences on one grant', () => {
  it('MilestoneAccepted at most once per tranche, only for a submitted milestone, never after cancellation', () => {
    let acceptedSeen = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const { log, states } = runGrant(steps);
        const accepted = log.filter((entry) => entry.event.type === 'MilestoneAccepted');
        acceptedSeen += accepted.length;
        const perTranche = new Set(accepted.map((entry) => entry.tranche));
        expect(perTranche.size).toBe(accepted.length);
        for (const entry of accepted) {
          expect(entry.statusBefore).toBe('submitted');
          expect(entry.afterCancel).toBe(false);
          expect((entry.event.data as { acceptedBy: string }).acceptedBy).not.toBe(FOUNDER.sub);
        }
        // After a cancellation every milestone is accepted or cancelled, and stays so.
        if (steps.some((s) => s.kind === 'cancel')) {
          for (const state of states.values()) {
            expect(['accepted', 'cancelled']).toContain(state.status);
          }
        }
        // The accepted ones are exactly those whose last review accepted.
        for (const [tranche, state] of states) {
          if (state.status === 'accepted') expect(perTranche.has(tranche)).toBe(true);
          else expect(perTranche.has(tranche)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
    expect(acceptedSeen).toBeGreaterThan(0); // the sequences did reach acceptances
  });
});

// Pinned by mutation testing (docs/mutation.md): each test below kills mutants the others let live.
describe('Milestone rules pinned by mutation testing', () => {
  const later = new Date('2027-01-20T09:30:00.000Z');
  /** The state after the commands (each must succeed) and every event they produced. */
  const after = (...history: MilestoneCommand[]) => {
    let state: MilestoneState = initialState();
    const events: MilestoneEvent[] = [];
    for (const command of history) {
      for (const event of decide(command, state)) {
        events.push(event);
        state = evolve(state, event);
      }
    }
    return { state, events };
  };
  const at = (command: MilestoneCommand, time: Date): MilestoneCommand => ({
    ...command,
    metadata: { ...command.metadata, now: time },
  });

  it('an opened milestone is pending with its terms and no history', () => {
    expect(after(open(2)).state).toEqual({
      status: 'pending',
      grantId: GRANT,
      number: 2,
      title: 'Milestone 2',
      dueDate: '2027-03-01',
      asset: 'USDC',
      amount: 15_000_000_000n,
      founder: FOUNDER.sub,
      submissions: [],
      reviews: [],
      openedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  });

  it('submissions and reviews are kept in order, each with who and when', () => {
    const { state } = after(
      open(),
      submit(),
      at(reject(), later),
      at(submit(), later),
      at(accept(ADMIN), later),
    );
    expect(state).toMatchObject({
      status: 'accepted',
      acceptedBy: ADMIN.sub,
      updatedAt: later.toISOString(),
      submissions: [
        {
          number: 1,
          summary: 'Prototype runs end to end',
          evidenceUrls: ['https://github.com/ada/proto'],
          submittedBy: FOUNDER.sub,
          submittedAt: now.toISOString(),
        },
        { number: 2, submittedBy: FOUNDER.sub, submittedAt: later.toISOString() },
      ],
    });
    expect(state.status !== 'not_opened' && state.reviews).toEqual([
      {
        submission: 1,
        decision: 'reject',
        comment: 'The evidence link is private',
        reviewedBy: REVIEWER.sub,
        reviewedAt: later.toISOString(),
      },
      { submission: 2, decision: 'accept', reviewedBy: ADMIN.sub, reviewedAt: later.toISOString() },
    ]);
  });

  it('a submitted or rejected milestone records its status and time', () => {
    expect(after(open(), at(submit(), later)).state).toMatchObject({
      status: 'submitted',
      updatedAt: later.toISOString(),
    });
    expect(after(open(), submit(), at(reject(), later)).state).toMatchObject({
      status: 'rejected',
      updatedAt: later.toISOString(),
    });
  });

  it('an acceptance carries the comment when given, and no comment key otherwise', () => {
    const withComment: MilestoneCommand = {
      type: 'ReviewMilestone',
      data: { decision: 'accept', comment: 'Great demo' },
      metadata: meta(REVIEWER),
    };
    const { events, state } = after(open(), submit(), withComment);
    expect(events[2]).toEqual({
      type: 'MilestoneAccepted',
      data: {
        grantId: GRANT,
        number: 1,
        submission: 1,
        asset: 'USDC',
        amount: '15000000000',
        founder: FOUNDER.sub,
        comment: 'Great demo',
        acceptedBy: REVIEWER.sub,
        acceptedAt: now.toISOString(),
      },
    });
    expect(state.status !== 'not_opened' && state.reviews[0].comment).toBe('Great demo');
    const plain = after(open(), submit(), accept()).events[2];
    expect(plain.data).not.toHaveProperty('comment');
    const plainState = after(open(), submit(), accept()).state;
    expect(plainState.status !== 'not_opened' && plainState.reviews[0]).not.toHaveProperty(
      'comment',
    );
  });

  it('a reviewer who also holds other roles may review', () => {
    const multi: Actor = { sub: 'rev-multi', roles: ['founder', 'reviewer'] };
    expect(after(open(), submit(), accept(multi)).state).toMatchObject({
      status: 'accepted',
      acceptedBy: multi.sub,
    });
  });

  it('a cancellation names the tranche, the actor and the time, and closes the state', () => {
    const { events, state } = after(open(2), at(cancel(2), later));
    expect(events[1]).toEqual({
      type: 'MilestoneCancelled',
      data: {
        grantId: GRANT,
        number: 2,
        previousStatus: 'pending',
        reason: 'Team dissolved',
        cancelledBy: GRANT_ADMIN.sub,
        cancelledAt: later.toISOString(),
      },
    });
    expect(state).toMatchObject({ status: 'cancelled', updatedAt: later.toISOString() });
    expect(after(cancel()).state).toEqual({ status: 'not_opened', cancelled: true });
  });

  it('an unknown command, decision, status or stored event is an error, never ignored', () => {
    const { state } = after(open(), submit());
    const bogusCommand = { type: 'PayMilestone', data: {}, metadata: meta(ADMIN) };
    expect(() => decide(bogusCommand as unknown as MilestoneCommand, state)).toThrow(
      /unknown milestone command .*PayMilestone/,
    );
    const bogusReview = {
      type: 'ReviewMilestone',
      data: { decision: 'maybe' },
      metadata: meta(ADMIN),
    };
    expect(() => decide(bogusReview as unknown as MilestoneCommand, state)).toThrow(
      /unknown review decision .*maybe/,
    );
    const archived = { ...state, status: 'archived' } as unknown as MilestoneState;
    expect(() => decide(submit(), archived)).toThrow(/unknown milestone status archived/);
    const bogusEvent = { type: 'MilestonePaid', data: {} };
    expect(() => evolve(state, bogusEvent as unknown as MilestoneEvent)).toThrow(
      /unknown milestone event .*MilestonePaid/,
    );
  });

  it('outcome events on a milestone never opened change nothing', () => {
    const { events } = after(open(), submit(), reject(), submit(), accept());
    for (const event of events.slice(1)) {
      expect(evolve(initialState(), event)).toEqual(initialState());
    }
  });
});
