import { randomUUID } from 'node:crypto';
import type { NewEvent, PostgresEventStore } from '@lib/event-store';
import {
  type ApplicationEvent,
  type ApplicationState,
  evolve,
  initialState,
} from '../src/application/application';
import { decide } from '../src/application/application.decider';

/**
 * Appends `count` applications through the real decider: each drafted, then submitted; every
 * third one also withdrawn (so the queue holds several statuses). Returns the number of events.
 */
export async function seedApplications(
  store: PostgresEventStore,
  count: number,
  options: { concurrency?: number; onAppended?: (events: number) => void } = {},
): Promise<number> {
  const now = new Date();
  const policy = { reviewQuorum: 2 };
  const due = new Date(now.getTime() + 365 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  let written = 0;
  let next = 0;
  const one = async (i: number): Promise<void> => {
    const id = randomUUID();
    const actor = { sub: `founder-${i}.test.near`, roles: ['founder'] };
    const metadata = { now, actor };
    const events: ApplicationEvent[] = [];
    let state: ApplicationState = initialState();
    const apply = (produced: ApplicationEvent[]): void => {
      for (const event of produced) state = evolve(state, event);
      events.push(...produced);
    };
    apply(
      decide(
        {
          type: 'CreateDraft',
          data: {
            applicationId: id,
            fields: {
              title: `Application ${i}`,
              summary: 'Seeded for an operator CLI test.',
              category: 'agents',
              team: [{ name: 'Ada', role: 'CEO' }],
              requestedFunding: { asset: 'USDC', amount: 5_000_000n },
              payoutAccount: `founder-${i}.test.near`,
              milestones: [
                { title: 'Prototype', description: 'Runs', dueDate: due, amount: 5_000_000n },
              ],
              links: [],
            },
          },
          metadata,
        },
        state,
        policy,
      ),
    );
    apply(decide({ type: 'SubmitApplication', data: {}, metadata }, state, policy));
    if (i % 3 === 0) {
      apply(
        decide({ type: 'WithdrawApplication', data: { reason: 'seed' }, metadata }, state, policy),
      );
    }
    const batch: NewEvent[] = events.map((event) => ({
      eventId: randomUUID(),
      type: event.type,
      data: event.data,
      metadata: { correlationId: randomUUID(), actor: actor.sub, occurredAt: now },
    }));
    await store.append(`application-${id}`, 'no_stream', batch);
    written += batch.length;
    options.onAppended?.(written);
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, async () => {
    while (next < count) await one(next++);
  });
  await Promise.all(workers);
  return written;
}
