import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '@lib/event-store';
import { type ApplicationEvent, type ApplicationState, evolve, initialState } from './application';
import { type ApplicationCommand, decide } from './application.decider';
import {
  createApplicationBody,
  decisionBody,
  LIMITS,
  withdrawApplicationBody,
} from './application.dto';
import { validateBody } from '@lib/platform';
import { applicationOutbound } from './application.outbound';

// Everything the API accepts must be publishable: an event that fails its own contract would
// stop the relay for good. These inputs sit at the API's limits with characters that take two
// UTF-16 units each (the contracts once counted UTF-16 units and refused them).
const emoji = (n: number) => '😀'.repeat(n);
const now = new Date('2026-12-01T10:00:00.000Z');
const founder = { sub: 'ada.near', roles: ['founder'] as const };
const admin = { sub: 'admin-1', roles: ['admin'] as const };

function run(events: ApplicationEvent[], command: ApplicationCommand): ApplicationEvent[] {
  const state = events.reduce<ApplicationState>(evolve, initialState());
  return [...events, ...decide(command, state, { reviewQuorum: 2 })];
}

function stored(event: ApplicationEvent, version: number, applicationId: string): StoredEvent {
  return {
    eventId: randomUUID(),
    type: event.type,
    schemaVersion: 1,
    streamId: `application-${applicationId}`,
    streamVersion: version,
    globalPosition: String(version),
    transactionId: '1',
    data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    metadata: { correlationId: 'c', causationId: null, actor: 'x', occurredAt: now },
    recordedAt: now,
    hash: '',
  };
}

function publish(events: ApplicationEvent[], applicationId: string) {
  return events
    .map((event, index) => applicationOutbound(stored(event, index + 1, applicationId)))
    .filter((message) => message !== null);
}

describe('applicationOutbound', () => {
  const applicationId = randomUUID();
  const fields = validateBody(createApplicationBody({ now }), {
    title: emoji(LIMITS.title),
    summary: emoji(LIMITS.summary),
    category: 'agents',
    team: [{ name: emoji(LIMITS.name), role: 'CEO' }],
    requestedFunding: { asset: 'USDC', amount: '50000' },
    payoutAccount: 'ada.near',
    milestones: [
      { title: emoji(LIMITS.title), description: 'd', dueDate: '2027-03-01', amount: '20000' },
      { title: 'Launch', description: 'd', dueDate: '2027-06-01', amount: '30000' },
    ],
  });
  const meta = (actor: { sub: string; roles: readonly string[] }) => ({ now, actor });
  const drafted = run([], {
    type: 'CreateDraft',
    data: { applicationId, fields },
    metadata: meta(founder),
  });
  const submitted = run(drafted, { type: 'SubmitApplication', data: {}, metadata: meta(founder) });

  it('publishes a submission whose title is at the API limit', () => {
    const messages = publish(submitted, applicationId);
    expect(messages.map((m) => m.envelope.type)).toEqual(['ApplicationSubmitted']);
  });

  it('publishes a withdrawal whose reason is at the API limit', () => {
    const { reason } = validateBody(withdrawApplicationBody, { reason: emoji(LIMITS.reason) }) as {
      reason: string;
    };
    const events = run(submitted, {
      type: 'WithdrawApplication',
      data: { reason },
      metadata: meta(founder),
    });
    expect(publish(events, applicationId).map((m) => m.envelope.type)).toEqual([
      'ApplicationSubmitted',
      'ApplicationWithdrawn',
    ]);
  });

  it('publishes a rejection and an approval at the API limits', () => {
    const assigned = run(submitted, {
      type: 'AssignReviewers',
      data: { reviewers: ['rev-a', 'rev-b'] },
      metadata: meta(admin),
    });
    const reviewed = ['rev-a', 'rev-b'].reduce(
      (events, reviewer) =>
        run(events, {
          type: 'SubmitReview',
          data: {
            conflictOfInterest: false,
            scores: { team: 4, technical: 4, impact: 4, ecosystemFit: 4 },
            recommendation: 'approve',
            comment: 'ok',
          },
          metadata: meta({ sub: reviewer, roles: ['reviewer'] }),
        }),
      assigned,
    );
    const rejection = validateBody(decisionBody(), {
      decision: 'reject',
      reason: emoji(LIMITS.reason),
    });
    const rejected = run(reviewed, {
      type: 'DecideApplication',
      data: rejection,
      metadata: meta(admin),
    });
    expect(publish(rejected, applicationId).map((m) => m.envelope.type)).toContain(
      'ApplicationRejected',
    );
    const approval = validateBody(decisionBody(), {
      decision: 'approve',
      reason: emoji(LIMITS.reason),
      grant: {
        asset: 'USDC',
        amount: '50000',
        tranches: [
          { milestone: 1, amount: '20000' },
          { milestone: 2, amount: '30000' },
        ],
      },
    });
    const approved = run(reviewed, {
      type: 'DecideApplication',
      data: approval,
      metadata: meta(admin),
    });
    expect(publish(approved, applicationId).map((m) => m.envelope.type)).toContain(
      'ApplicationApproved',
    );
  });
});
