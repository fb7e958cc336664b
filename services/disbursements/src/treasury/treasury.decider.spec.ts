import { randomUUID } from 'node:crypto';
import {
  decideTreasury,
  evolveTreasury,
  initialTreasuryState,
  requiredToResume,
  type TreasuryCommand,
  type TreasuryEvent,
  type TreasuryState,
} from './treasury.decider';
import type { DiscrepancyData } from './treasury';
import { TreasuryError, type TreasuryErrorCode } from './treasury.errors';

function given(events: TreasuryEvent[]) {
  const state = events.reduce<TreasuryState>(evolveTreasury, initialTreasuryState());
  return {
    state,
    when(command: TreasuryCommand) {
      const run = () => decideTreasury(command, state);
      return {
        then: (expected: TreasuryEvent[]) => expect(run()).toEqual(expected),
        events: run,
        thenThrows(code: TreasuryErrorCode, status: number) {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(TreasuryError);
          expect((caught as TreasuryError).code).toBe(code);
          expect((caught as TreasuryError).status).toBe(status);
          // Every refusal carries a detail for the problem+json body.
          expect((caught as TreasuryError).message).not.toBe('');
        },
      };
    },
  };
}

const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
let alice: { sub: string; roles: string[] };
let bob: { sub: string; roles: string[] };
let discrepancy: DiscrepancyData;
const system = { sub: 'system:reconciliation', roles: [] };

beforeEach(() => {
  const suffix = randomUUID().slice(0, 8);
  alice = { sub: `alice-${suffix}`, roles: ['treasurer'] };
  bob = { sub: `bob-${suffix}`, roles: ['treasurer'] };
  discrepancy = {
    discrepancyId: randomUUID(),
    kind: 'foreign_nonce',
    detail: 'nonce 12 on chain, ledger used 10',
    lane: 'ed25519:abc',
    payoutId: null,
    foundAt: at,
  };
});

const pause = (actor = alice, reason?: string): TreasuryCommand => ({
  type: 'PauseTreasury',
  data: reason ? { reason } : {},
  metadata: { actor, now },
});
const resume = (actor = alice): TreasuryCommand => ({
  type: 'ResumeTreasury',
  data: {},
  metadata: { actor, now },
});
const record = (): TreasuryCommand => ({
  type: 'RecordDiscrepancy',
  data: discrepancy,
  metadata: { actor: system, now },
});
const paused = (by = alice): TreasuryEvent => ({
  type: 'TreasuryPaused',
  data: { pausedBy: by.sub, reason: 'incident', cause: 'manual', pausedAt: at },
});

describe('treasury pause and resume', () => {
  it('one treasurer pauses at once', () => {
    given([]).when(pause(alice, 'incident')).then([paused()]);
    expect(given([paused()]).state.paused).toBe(true);
    expect(given([]).when(pause(alice)).events()[0].data).toMatchObject({ reason: null });
  });

  it('pausing twice is a 409; only treasurers pause', () => {
    given([paused()]).when(pause(bob)).thenThrows('already_paused', 409);
    given([])
      .when(pause({ sub: 'a', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
  });

  it('after a manual pause one treasurer resumes', () => {
    given([paused()])
      .when(resume(bob))
      .then([
        {
          type: 'TreasuryResumed',
          data: { resumedBy: [bob.sub], resolvedDiscrepancies: [], resumedAt: at },
        },
      ]);
    const state = given([paused(), ...given([paused()]).when(resume(bob)).events()]).state;
    expect(state.paused).toBe(false);
    expect(state.pause).toBeNull();
  });

  it('resuming when not paused is a 409; only treasurers resume', () => {
    given([]).when(resume()).thenThrows('not_paused', 409);
    given([paused()])
      .when(resume({ sub: 'a', roles: ['admin'] }))
      .thenThrows('treasurer_role_required', 403);
  });

  it('a discrepancy pauses and is kept; a known discrepancy id changes nothing', () => {
    const events = given([]).when(record()).events();
    expect(events).toEqual([
      { type: 'DiscrepancyRecorded', data: { ...discrepancy, recordedAt: at } },
      {
        type: 'TreasuryPaused',
        data: {
          pausedBy: system.sub,
          reason: 'reconciliation: foreign_nonce',
          cause: 'discrepancy',
          pausedAt: at,
        },
      },
    ]);
    const state = given(events).state;
    expect(state.paused).toBe(true);
    expect(state.discrepancies).toEqual([{ ...discrepancy, recordedAt: at, resolvedAt: null }]);
    expect(given(events).when(record()).events()).toEqual([]);
  });

  it('a discrepancy while already paused is recorded without a second pause', () => {
    expect(
      given([paused()])
        .when(record())
        .events()
        .map((e) => e.type),
    ).toEqual(['DiscrepancyRecorded']);
    expect(
      requiredToResume(given([paused(), ...given([paused()]).when(record()).events()]).state),
    ).toBe(2);
  });

  it('after a discrepancy resuming needs two different treasurers', () => {
    const history = given([]).when(record()).events();
    expect(requiredToResume(given(history).state)).toBe(2);
    const first = given(history).when(resume(alice)).events();
    expect(first).toEqual([
      {
        type: 'TreasuryResumeApproved',
        data: { approvedBy: alice.sub, approvals: 1, required: 2, approvedAt: at },
      },
    ]);
    expect(given([...history, ...first]).state.paused).toBe(true);
    given([...history, ...first])
      .when(resume(alice))
      .thenThrows('duplicate_approval', 409);
    const second = given([...history, ...first])
      .when(resume(bob))
      .events();
    expect(second).toEqual([
      {
        type: 'TreasuryResumed',
        data: {
          resumedBy: [alice.sub, bob.sub],
          resolvedDiscrepancies: [discrepancy.discrepancyId],
          resumedAt: at,
        },
      },
    ]);
    const state = given([...history, ...first, ...second]).state;
    expect(state.paused).toBe(false);
    expect(state.discrepancies[0].resolvedAt).toBe(at);
    expect(requiredToResume(state)).toBe(1);
  });

  it('a new discrepancy voids the agreement already given', () => {
    const history = [...given([]).when(record()).events()];
    const first = given(history).when(resume(alice)).events();
    const other = { ...discrepancy, discrepancyId: randomUUID() };
    const again: TreasuryEvent = {
      type: 'DiscrepancyRecorded',
      data: { ...other, recordedAt: at },
    };
    const state = given([...history, ...first, again]).state;
    expect(state.resumeApprovals).toEqual([]);
    expect(
      given([...history, ...first, again])
        .when(resume(bob))
        .events()[0].type,
    ).toBe('TreasuryResumeApproved');
  });
});

// Pinned by mutation testing (docs/mutation.md): each test below kills mutants the others let live.
describe('treasury rules pinned by mutation testing', () => {
  const later = new Date('2026-12-02T08:30:00.000Z');
  const discrepancyAt = (data: DiscrepancyData, time: Date): TreasuryCommand => ({
    type: 'RecordDiscrepancy',
    data,
    metadata: { actor: system, now: time },
  });
  const resumeAt = (actor: typeof alice, time: Date): TreasuryCommand => ({
    type: 'ResumeTreasury',
    data: {},
    metadata: { actor, now: time },
  });
  /** Applies each command to the state the ones before it left. */
  const run = (...commands: TreasuryCommand[]) =>
    commands.reduce<TreasuryEvent[]>(
      (events, command) => [...events, ...given(events).when(command).events()],
      [],
    );

  it('a treasury starts running, with no discrepancies and no agreement to resume', () => {
    expect(initialTreasuryState()).toEqual({
      paused: false,
      pause: null,
      discrepancies: [],
      resumeApprovals: [],
    });
  });

  it('the pause keeps who paused, why, the cause and when', () => {
    expect(given([paused()]).state.pause).toEqual({
      by: alice.sub,
      reason: 'incident',
      cause: 'manual',
      at,
    });
    const state = given(run(discrepancyAt(discrepancy, later))).state;
    expect(state.pause).toEqual({
      by: system.sub,
      reason: 'reconciliation: foreign_nonce',
      cause: 'discrepancy',
      at: later.toISOString(),
    });
  });

  it('a resume resolves only the discrepancies still open; earlier ones keep their resolution time', () => {
    const second: DiscrepancyData = { ...discrepancy, discrepancyId: randomUUID() };
    const firstCycle = run(discrepancyAt(discrepancy, now), resume(alice), resume(bob));
    expect(given(firstCycle).state.discrepancies[0].resolvedAt).toBe(at);
    // The second discrepancy finds the treasury running, so it pauses it again.
    const events = [
      ...firstCycle,
      ...given(firstCycle).when(discrepancyAt(second, later)).events(),
    ];
    expect(events.length).toBe(firstCycle.length + 2);
    expect(requiredToResume(given(events).state)).toBe(2);
    const first = given(events).when(resumeAt(alice, later)).events();
    const resumed = given([...events, ...first])
      .when(resumeAt(bob, later))
      .events();
    expect(resumed).toEqual([
      {
        type: 'TreasuryResumed',
        data: {
          resumedBy: [alice.sub, bob.sub],
          resolvedDiscrepancies: [second.discrepancyId],
          resumedAt: later.toISOString(),
        },
      },
    ]);
    const state = given([...events, ...first, ...resumed]).state;
    expect(state.discrepancies.map((d) => [d.discrepancyId, d.resolvedAt])).toEqual([
      [discrepancy.discrepancyId, at],
      [second.discrepancyId, later.toISOString()],
    ]);
  });

  it('an unknown command or a stored event of an unknown type is an error, never ignored', () => {
    const bogusCommand = { type: 'UnpauseQuietly', data: {}, metadata: { actor: alice, now } };
    expect(() =>
      decideTreasury(bogusCommand as unknown as TreasuryCommand, initialTreasuryState()),
    ).toThrow(/unhandled treasury command .*UnpauseQuietly/);
    const bogusEvent = { type: 'TreasuryForgotten', data: {} };
    expect(() =>
      evolveTreasury(initialTreasuryState(), bogusEvent as unknown as TreasuryEvent),
    ).toThrow(/unknown treasury event .*TreasuryForgotten/);
  });

  it('a known discrepancy id is recognised among several', () => {
    const second: DiscrepancyData = { ...discrepancy, discrepancyId: randomUUID() };
    const events = run(discrepancyAt(discrepancy, now), discrepancyAt(second, now));
    expect(given(events).state.discrepancies).toHaveLength(2);
    expect(given(events).when(discrepancyAt(discrepancy, later)).events()).toEqual([]);
    expect(given(events).when(discrepancyAt(second, later)).events()).toEqual([]);
  });

  it('a manual pause resumes with the first treasurer and clears the agreement', () => {
    const events = run(pause(alice, 'incident'), resume(bob));
    const state = given(events).state;
    expect(state).toEqual({ paused: false, pause: null, discrepancies: [], resumeApprovals: [] });
    expect(given([...events, paused(alice)]).state.resumeApprovals).toEqual([]);
  });
});
