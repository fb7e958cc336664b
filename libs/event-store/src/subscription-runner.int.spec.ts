import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { ProjectionRunner, SubscriptionRunner, type StoredEvent } from '.';
import { freshStore, newEvent, streamOf, waitFor, type TestStore } from '../test/support';

const quiet = (): void => undefined;

describe('SubscriptionRunner (real Postgres)', () => {
  let t: TestStore;
  const runners: SubscriptionRunner[] = [];
  beforeAll(async () => {
    t = await freshStore({ max: 10 });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await t.drop();
  });

  function collector(
    name = `sub-${randomUUID()}`,
    extra: Partial<ConstructorParameters<typeof SubscriptionRunner>[0]> = {},
  ) {
    const seen: StoredEvent[] = [];
    const runner = new SubscriptionRunner({
      store: t.store,
      name,
      handle: async (events) => {
        seen.push(...events);
      },
      pollIntervalMs: 100,
      lockRetryMs: 100,
      onError: quiet,
      ...extra,
    });
    runners.push(runner);
    return { runner, seen };
  }

  it('never skips an event whose transaction commits after a later one (out-of-order commit)', async () => {
    const { runner, seen } = collector();
    // Deliver everything already in the store (other tests' events) first.
    while ((await runner.pollOnce()) > 0);
    const before = seen.length;

    const streamA = streamOf('grant');
    const streamB = streamOf('grant');
    const mine = (): string[] =>
      seen.filter((e) => [streamA, streamB].includes(e.streamId)).map((e) => e.type);
    const txA = await t.pool.connect();
    try {
      await txA.query('BEGIN');
      const a = await t.store.append(streamA, 'no_stream', [newEvent('A')], { client: txA });
      const b = await t.store.append(streamB, 'no_stream', [newEvent('B')]); // commits
      expect(BigInt(a.globalPositions[0])).toBeLessThan(BigInt(b.globalPositions[0]));

      // A is still open: its xid holds the watermark back, so B must wait too.
      await runner.pollOnce();
      await runner.pollOnce();
      expect(mine()).toEqual([]);

      await txA.query('COMMIT');
    } finally {
      txA.release(true);
    }
    await waitFor(async () => (await runner.pollOnce()) >= 0 && mine().length === 2);
    expect(mine()).toEqual(['A', 'B']);
    expect(seen.length - before).toBeGreaterThanOrEqual(2);
  });

  it('orders by (transaction id, position): a newer transaction that drew a lower position is not skipped', async () => {
    const { runner, seen } = collector();
    while ((await runner.pollOnce()) > 0);
    // T1 takes an xid first (writes something unrelated), T2 then appends (lower xid? no: T2 gets a
    // higher xid) — we make T2 draw the LOWER global position but the HIGHER xid and commit first.
    const lowStream = streamOf('grant');
    const highStream = streamOf('grant');
    const mine = (): string[] =>
      seen.filter((e) => [lowStream, highStream].includes(e.streamId)).map((e) => e.type);
    const t1 = await t.pool.connect();
    const t2 = await t.pool.connect();
    try {
      await t1.query('BEGIN');
      await t1.query(
        `INSERT INTO "${t.schema}".inbox (consumer, event_id) VALUES ('xid-taker', $1)`,
        [randomUUID()],
      );
      await t2.query('BEGIN');
      const low = await t.store.append(lowStream, 'no_stream', [newEvent('LowPositionHighXid')], {
        client: t2,
      });
      const high = await t.store.append(highStream, 'no_stream', [newEvent('HighPositionLowXid')], {
        client: t1,
      });
      expect(BigInt(low.globalPositions[0])).toBeLessThan(BigInt(high.globalPositions[0]));
      await t2.query('COMMIT');
      await runner.pollOnce();
      expect(mine()).toEqual([]);
      await t1.query('COMMIT');
    } finally {
      t1.release(true);
      t2.release(true);
    }
    await waitFor(async () => (await runner.pollOnce()) >= 0 && mine().length === 2);
    expect(mine()).toEqual(['HighPositionLowXid', 'LowPositionHighXid']);
  });

  it('runs live: wakes on NOTIFY and delivers every event exactly once in order', async () => {
    const { runner, seen } = collector();
    const streamId = streamOf('milestone');
    runner.start();
    await waitFor(async () => runner.isActive);
    for (let i = 0; i < 20; i++) await t.store.append(streamId, i, [newEvent('M', { i })]);
    await waitFor(async () => seen.filter((e) => e.streamId === streamId).length === 20);
    const mine = seen.filter((e) => e.streamId === streamId);
    expect(mine.map((e) => e.data.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
  });

  /** Two runners of one subscription: `first` active (holds the lock), then `second` started. */
  async function holderAndStandby(name: string) {
    const first = collector(name);
    const second = collector(name);
    first.runner.start();
    await waitFor(async () => first.runner.isActive);
    second.runner.start();
    return { first, second };
  }

  it('advisory lock: only one runner per name is active; the other takes over when the holder stops', async () => {
    const name = `single-${randomUUID()}`;
    const { first, second } = await holderAndStandby(name);
    const streamId = streamOf('grant');
    await t.store.append(streamId, 'no_stream', [newEvent('One')]);
    await waitFor(async () => first.seen.some((e) => e.streamId === streamId));
    expect(second.runner.isActive).toBe(false);
    expect(second.seen).toEqual([]);

    await first.runner.stop(); // ends its session: lock released
    await waitFor(async () => second.runner.isActive);
    await t.store.append(streamId, 1, [newEvent('Two')]);
    await waitFor(async () => second.seen.some((e) => e.type === 'Two' && e.streamId === streamId));
    // Second continues from the shared checkpoint: it does not see 'One' again.
    expect(second.seen.some((e) => e.streamId === streamId && e.type === 'One')).toBe(false);
    expect(first.seen.some((e) => e.type === 'Two' && e.streamId === streamId)).toBe(false);
  });

  it('advisory lock: a holder whose session is killed loses the lock to the standby', async () => {
    const name = `killed-${randomUUID()}`;
    const { first, second } = await holderAndStandby(name);
    await t.pool.query('SELECT pg_terminate_backend($1)', [first.runner.sessionPid]);
    await waitFor(async () => second.runner.isActive);
    const streamId = streamOf('grant');
    await t.store.append(streamId, 'no_stream', [newEvent('AfterFailover')]);
    await waitFor(async () => second.seen.some((e) => e.streamId === streamId));
    // The old holder reconnects as a standby and stays passive.
    await waitFor(async () => first.runner.sessionPid !== undefined);
    expect(first.runner.isActive).toBe(false);
  });
});

describe('ProjectionRunner (real Postgres)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await freshStore({ max: 6 });
    await t.pool.query(
      `CREATE TABLE "${t.schema}".grant_totals (stream_id text PRIMARY KEY, events int NOT NULL)`,
    );
  });
  afterAll(async () => {
    await t.drop();
  });

  const project = (failOn?: string) => async (events: StoredEvent[], client: PoolClient) => {
    for (const event of events) {
      if (event.type === failOn) throw new Error(`projection failed on ${event.eventId}`);
      await client.query(
        `INSERT INTO "${t.schema}".grant_totals VALUES ($1, 1)
         ON CONFLICT (stream_id) DO UPDATE SET events = grant_totals.events + 1`,
        [event.streamId],
      );
    }
  };
  const totals = async () =>
    (
      await t.pool.query<{ stream_id: string; events: number }>(
        `SELECT * FROM "${t.schema}".grant_totals ORDER BY stream_id`,
      )
    ).rows;
  const checkpoint = async (name: string) =>
    (
      await t.pool.query(
        `SELECT global_position::text AS p FROM "${t.schema}".subscription_checkpoints WHERE name = $1`,
        [name],
      )
    ).rows[0]?.p as string | undefined;

  it('commits rows and checkpoint together: a batch that throws midway leaves neither', async () => {
    const name = `totals-${randomUUID()}`;
    const streamId = streamOf('grant');
    await t.store.append(streamId, 'no_stream', [
      newEvent('A'),
      newEvent('A'),
      newEvent('Poison'),
      newEvent('A'),
    ]);
    const failing = new ProjectionRunner(
      { name, project: project('Poison') },
      { store: t.store, onError: quiet },
    );
    await expect(failing.pollOnce()).rejects.toThrow(/projection failed/);
    expect(await totals()).toEqual([]);
    expect(await checkpoint(name)).toBe('0');

    const fixed = new ProjectionRunner(
      {
        name,
        project: project(),
        reset: async (client) => {
          await client.query(`TRUNCATE "${t.schema}".grant_totals`);
        },
      },
      { store: t.store, onError: quiet, pollIntervalMs: 50 },
    );
    fixed.start();
    try {
      await waitFor(async () => (await totals()).length === 1 && (await totals())[0].events === 4);
      const done = await checkpoint(name);
      expect(done).not.toBe('0');

      await fixed.rebuild();
      await waitFor(async () => (await checkpoint(name)) === done);
      expect(await totals()).toEqual([{ stream_id: streamId, events: 4 }]);
    } finally {
      await fixed.stop();
    }
  });
});
