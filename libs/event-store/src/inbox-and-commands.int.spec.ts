import { randomUUID } from 'node:crypto';
import {
  handleCommand,
  type HandleCommandOptions,
  StreamStateCache,
  StreamVersionConflictError,
  withInbox,
  type PostgresEventStore,
} from '.';
import { freshStore, newEvent, streamOf, type TestStore } from '../test/support';

// A tiny grant decider: pure, events are plain { type, data }.
type GrantEvent =
  | { type: 'TrancheRequested'; data: { amount: number } }
  | { type: 'TrancheRejected'; data: { reason: string } };
type GrantCommand = { type: 'RequestTranche'; amount: number };
interface GrantState {
  requested: number;
  budget: number;
}
const decide = (command: GrantCommand, state: GrantState): GrantEvent[] =>
  state.requested + command.amount > state.budget
    ? [{ type: 'TrancheRejected', data: { reason: 'over budget' } }]
    : [{ type: 'TrancheRequested', data: { amount: command.amount } }];
const evolve = (state: GrantState, event: GrantEvent): GrantState => {
  switch (event.type) {
    case 'TrancheRequested':
      return { ...state, requested: state.requested + event.data.amount };
    case 'TrancheRejected':
      return state;
    default: {
      const never: never = event;
      return never;
    }
  }
};
const metadata = {
  correlationId: 'corr-1',
  actor: 'user:alice',
  occurredAt: new Date('2026-11-26T12:00:00Z'),
};

/** `RequestTranche` of `amount` through handleCommand, with the tiny decider (budget 100). */
const requestTranche = (
  store: PostgresEventStore,
  streamId: string,
  amount: number,
  extra: Partial<HandleCommandOptions<GrantCommand, GrantState, GrantEvent>> = {},
) =>
  handleCommand(store, {
    streamId,
    decide,
    evolve,
    initialState: () => ({ requested: 0, budget: 100 }),
    command: { type: 'RequestTranche', amount },
    metadata,
    newEventId: randomUUID,
    ...extra,
  });

// One store for the file's suites.
let t: TestStore;
beforeAll(async () => {
  t = await freshStore();
});
afterAll(async () => {
  await t.drop();
});

describe('handleCommand (real Postgres)', () => {
  const run = (
    store: PostgresEventStore,
    streamId: string,
    amount: number,
    retryOnConflict = false,
  ) => requestTranche(store, streamId, amount, { retryOnConflict });

  it('loads, folds, decides and appends at the loaded version', async () => {
    const streamId = streamOf('grant');
    expect((await run(t.store, streamId, 60)).state.requested).toBe(60);
    const second = await run(t.store, streamId, 60);
    expect(second.newEvents.map((e) => e.type)).toEqual(['TrancheRejected']);
    expect(second.nextVersion).toBe(2);
    const stored = await t.store.readStream(streamId);
    expect(stored.map((e) => e.metadata.actor)).toEqual(['user:alice', 'user:alice']);
  });

  it('throws the conflict when not retrying, retries (re-deciding on fresh state) when allowed', async () => {
    const streamId = streamOf('grant');
    await run(t.store, streamId, 10);
    // Interleave: a competing append lands between load and append of each handler call.
    const racing = (): PostgresEventStore =>
      new Proxy(t.store, {
        get(target, prop, receiver) {
          if (prop === 'append') {
            return async (...args: Parameters<PostgresEventStore['append']>) => {
              if (!raced) {
                raced = true;
                await target.append(streamId, 'any', [
                  newEvent('TrancheRequested', { amount: 80 }),
                ]);
              }
              return target.append(...args);
            };
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    let raced = false;
    await expect(run(racing(), streamId, 20)).rejects.toBeInstanceOf(StreamVersionConflictError);
    raced = false;
    const retried = await run(racing(), streamId, 20, true);
    // Re-decided against the state that includes the competing 80 (+10 +80 already = 170 > 100).
    expect(retried.newEvents.map((e) => e.type)).toEqual(['TrancheRejected']);
    expect(retried.nextVersion).toBe(4);
  });

  describe('with a state cache', () => {
    const counting = () => {
      const reads = { count: 0 };
      const store = new Proxy(t.store, {
        get(target, prop, receiver) {
          if (prop === 'readStream') {
            return (...args: Parameters<PostgresEventStore['readStream']>) => {
              reads.count += 1;
              return target.readStream(...args);
            };
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
      return { store, reads };
    };
    const cached = (
      store: PostgresEventStore,
      streamId: string,
      amount: number,
      cache: StreamStateCache<GrantState>,
      extra: { expectNew?: boolean; expectedVersion?: number } = {},
    ) => requestTranche(store, streamId, amount, { cache, ...extra });

    it('skips the read for a new stream and for a stream it wrote, appending at that version', async () => {
      const streamId = streamOf('grant');
      const cache = new StreamStateCache<GrantState>();
      const { store, reads } = counting();
      await cached(store, streamId, 30, cache, { expectNew: true });
      const second = await cached(store, streamId, 30, cache);
      expect(reads.count).toBe(0);
      expect(second).toMatchObject({ nextVersion: 2, state: { requested: 60 } });
      expect(cache.get(streamId)).toEqual({ state: { requested: 60, budget: 100 }, version: 2 });
      expect((await t.store.readStream(streamId)).map((e) => e.streamVersion)).toEqual([1, 2]);
    });

    it('redoes a command from a fresh read when the cached state was stale', async () => {
      const streamId = streamOf('grant');
      const cache = new StreamStateCache<GrantState>();
      await cached(t.store, streamId, 10, cache, { expectNew: true });
      // Another writer (another replica) appends behind the cache's back.
      await t.store.append(streamId, 1, [newEvent('TrancheRequested', { amount: 80 })]);
      const { store, reads } = counting();
      const result = await cached(store, streamId, 20, cache);
      expect(reads.count).toBe(1);
      // Decided on the real state (10 + 80 + 20 > 100), appended after the other writer's event.
      expect(result.newEvents.map((e) => e.type)).toEqual(['TrancheRejected']);
      expect(result.nextVersion).toBe(3);
      expect(cache.get(streamId)?.version).toBe(3);
    });

    it('lets the stream decide when If-Match differs from the cached version', async () => {
      const streamId = streamOf('grant');
      const cache = new StreamStateCache<GrantState>();
      await cached(t.store, streamId, 10, cache, { expectNew: true });
      await expect(
        cached(t.store, streamId, 10, cache, { expectedVersion: 3 }),
      ).rejects.toMatchObject({ expected: 3, actual: 1 });
      expect((await cached(t.store, streamId, 10, cache, { expectedVersion: 1 })).nextVersion).toBe(
        2,
      );
    });

    it('falls back to the read when a stream expected to be new exists', async () => {
      const streamId = streamOf('grant');
      await run(t.store, streamId, 90);
      const result = await cached(t.store, streamId, 20, new StreamStateCache(), {
        expectNew: true,
      });
      expect(result.newEvents.map((e) => e.type)).toEqual(['TrancheRejected']);
      expect(result.nextVersion).toBe(2);
    });
  });

  it('returns without appending when the decider decides nothing', async () => {
    const streamId = streamOf('grant');
    const result = await handleCommand(t.store, {
      streamId,
      decide: () => [],
      evolve: (s: number) => s,
      initialState: () => 0,
      command: null,
      metadata,
      newEventId: randomUUID,
    });
    expect(result).toMatchObject({ nextVersion: 0, newEvents: [] });
  });
});

describe('withInbox (real Postgres)', () => {
  it('processes an event once; a redelivery is a no-op; effects commit with the inbox row', async () => {
    const eventId = randomUUID();
    const streamId = streamOf('payout');
    const effect = async (client: import('pg').PoolClient) => {
      await t.store.append(
        streamId,
        'any',
        [newEvent('PayoutRequested', {}, { eventId: randomUUID() })],
        {
          client,
        },
      );
    };
    expect(await withInbox(t.pool, t.schema, 'payouts', eventId, effect)).toBe('processed');
    expect(await withInbox(t.pool, t.schema, 'payouts', eventId, effect)).toBe('duplicate');
    // Same event, another consumer: its own inbox entry.
    expect(await withInbox(t.pool, t.schema, 'audit', eventId, async () => undefined)).toBe(
      'processed',
    );
    expect(await t.store.streamVersion(streamId)).toBe(1);
  });

  it('rolls back inbox row and effects when the handler throws, so a redelivery processes it', async () => {
    const eventId = randomUUID();
    const streamId = streamOf('payout');
    await expect(
      withInbox(t.pool, t.schema, 'payouts', eventId, async (client) => {
        await t.store.append(streamId, 'any', [newEvent('PayoutRequested')], { client });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.store.streamVersion(streamId)).toBe(0);
    expect(await withInbox(t.pool, t.schema, 'payouts', eventId, async () => undefined)).toBe(
      'processed',
    );
  });

  it('concurrent deliveries of one event run the effect once', async () => {
    const eventId = randomUUID();
    let effects = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        withInbox(t.pool, t.schema, 'payouts', eventId, async () => {
          effects++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }),
      ),
    );
    expect(outcomes.filter((o) => o === 'processed')).toHaveLength(1);
    expect(effects).toBe(1);
  });
});
