import { Pool } from 'pg';
import {
  GENESIS_HASH,
  PartialDuplicateAppendError,
  PostgresEventStore,
  StreamVersionConflictError,
  canonicalEvent,
  chainHash,
  verifyHashChains,
} from '.';
import { freshStore, newEvent, streamOf, TEST_DATABASE_URL, type TestStore } from '../test/support';

describe('PostgresEventStore (real Postgres)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await freshStore({ max: 20 });
  });
  afterAll(async () => {
    await t.drop();
  });

  it('appends a batch atomically and reads it back with metadata, positions and hash chain', async () => {
    const streamId = streamOf('grant');
    const a = newEvent('GrantProposed', { amount: '1000.00', nested: { z: 1, a: [1, 'x'] } });
    const b = newEvent('GrantApproved', { by: 'alice' }, { schemaVersion: 2 });
    const result = await t.store.append(streamId, 'no_stream', [a, b]);
    expect(result).toEqual({
      nextVersion: 2,
      alreadyAppended: false,
      globalPositions: expect.any(Array),
    });
    expect(BigInt(result.globalPositions[1])).toBeGreaterThan(BigInt(result.globalPositions[0]));

    const events = await t.store.readStream(streamId);
    expect(events.map((e) => [e.streamVersion, e.type, e.schemaVersion])).toEqual([
      [1, 'GrantProposed', 1],
      [2, 'GrantApproved', 2],
    ]);
    expect(events[0]).toMatchObject({
      eventId: a.eventId,
      streamId,
      data: a.data,
      globalPosition: result.globalPositions[0],
      metadata: { ...a.metadata, causationId: null },
    });
    expect(events[0].transactionId).toMatch(/^\d+$/);
    expect(events[0].transactionId).toBe(events[1].transactionId);

    // The hash SQL computed equals the canonical formula computed here.
    let prev: Buffer = GENESIS_HASH;
    for (const [i, e] of events.entries()) {
      const src = [a, b][i];
      prev = chainHash(
        prev,
        canonicalEvent({
          streamId,
          streamVersion: e.streamVersion,
          eventId: e.eventId,
          type: e.type,
          schemaVersion: src.schemaVersion ?? 1,
          data: src.data,
          correlationId: src.metadata.correlationId,
          causationId: null,
          actor: src.metadata.actor,
          occurredAt: src.metadata.occurredAt.toISOString(),
        }),
      );
      expect(e.hash).toBe(prev.toString('hex'));
    }
    expect(await t.store.readStream(streamId, { fromVersion: 2 })).toHaveLength(1);
  });

  it('reads several streams at once, each up to its own version', async () => {
    const [x, y, z] = [streamOf('grant'), streamOf('grant'), streamOf('grant')];
    await t.store.append(x, 'no_stream', [newEvent('A'), newEvent('B'), newEvent('C')]);
    await t.store.append(y, 'no_stream', [newEvent('D')]);
    const read = await t.store.readStreams([
      { streamId: x, toVersion: 2 },
      { streamId: y, toVersion: 5 },
      { streamId: z, toVersion: 1 },
    ]);
    expect([...read.keys()].sort()).toEqual([x, y].sort());
    expect(read.get(x)?.map((e) => [e.streamVersion, e.type])).toEqual([
      [1, 'A'],
      [2, 'B'],
    ]);
    expect(read.get(y)?.map((e) => e.type)).toEqual(['D']);
    expect(read.get(x)?.[0]).toEqual((await t.store.readStream(x))[0]);
    expect(await t.store.readStreams([])).toEqual(new Map());
  });

  it('enforces expected versions: no_stream, exact, any', async () => {
    const streamId = streamOf('grant');
    await t.store.append(streamId, 'no_stream', [newEvent('A')]);
    await expect(t.store.append(streamId, 'no_stream', [newEvent('B')])).rejects.toMatchObject({
      code: 'stream_version_conflict',
      streamId,
      expected: 'no_stream',
      actual: 1,
    });
    await expect(t.store.append(streamId, 5, [newEvent('B')])).rejects.toBeInstanceOf(
      StreamVersionConflictError,
    );
    await expect(t.store.append(streamOf('grant'), 3, [newEvent('B')])).rejects.toMatchObject({
      actual: 0,
    });
    expect((await t.store.append(streamId, 1, [newEvent('B')])).nextVersion).toBe(2);
    expect(
      (await t.store.append(streamId, 'any', [newEvent('C'), newEvent('D')])).nextVersion,
    ).toBe(4);
    expect((await t.store.append(streamOf('grant'), 'any', [newEvent('C')])).nextVersion).toBe(1);
    expect(await t.store.streamVersion(streamId)).toBe(4);
  });

  it('is idempotent by event id: a retried batch is reported as already appended, nothing written', async () => {
    const streamId = streamOf('payout');
    const batch = [newEvent('PayoutRequested'), newEvent('PayoutSigned')];
    const first = await t.store.append(streamId, 'no_stream', batch);
    const again = await t.store.append(streamId, 'no_stream', batch);
    expect(again).toEqual({
      nextVersion: 2,
      alreadyAppended: true,
      globalPositions: first.globalPositions,
    });
    // Also when the expected version would now be fine, and with 'any'.
    expect((await t.store.append(streamId, 2, batch)).alreadyAppended).toBe(true);
    expect((await t.store.append(streamId, 'any', batch)).alreadyAppended).toBe(true);
    // Upper-case spelling of the same uuid is the same event.
    expect(
      (
        await t.store.append(streamId, 'any', [
          { ...batch[0], eventId: batch[0].eventId.toUpperCase() },
        ])
      ).alreadyAppended,
    ).toBe(true);
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS n FROM "${t.schema}".events WHERE stream_id = $1`,
      [streamId],
    );
    expect(rows[0].n).toBe(2);
    await expect(t.store.append(streamId, 2, [batch[0], newEvent('Other')])).rejects.toBeInstanceOf(
      PartialDuplicateAppendError,
    );
    expect(await t.store.streamVersion(streamId)).toBe(2);
  });

  it('50 concurrent writers at the same expected version: exactly one wins per version, no gaps', async () => {
    const streamId = streamOf('disbursement');
    await t.store.append(streamId, 'no_stream', [newEvent('Opened')]);
    const winners: number[] = [];
    let conflicts = 0;
    // Round after round, 50 writers race for the same version; retry losers at the new version.
    for (let round = 0; round < 5; round++) {
      const version = await t.store.streamVersion(streamId);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          t.store.append(streamId, version, [newEvent('Tranche', { i, round })]),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      for (const f of failed) {
        expect(f.reason).toBeInstanceOf(StreamVersionConflictError);
        expect(f.reason).toMatchObject({ expected: version, actual: version + 1 });
      }
      conflicts += failed.length;
      winners.push((ok[0] as PromiseFulfilledResult<{ nextVersion: number }>).value.nextVersion);
    }
    expect(winners).toEqual([2, 3, 4, 5, 6]);
    expect(conflicts).toBe(5 * 49);
    const { rows } = await t.pool.query(
      `SELECT array_agg(stream_version ORDER BY stream_version)::int[] AS v FROM "${t.schema}".events WHERE stream_id = $1`,
      [streamId],
    );
    expect(rows[0].v).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writers queued on the stream row lock re-check the version after the holder commits', async () => {
    const streamId = streamOf('disbursement');
    await t.store.append(streamId, 'no_stream', [newEvent('Opened')]);
    const holder = await t.pool.connect();
    try {
      await holder.query('BEGIN');
      await t.store.append(streamId, 1, [newEvent('Tranche', { holder: true })], {
        client: holder,
      });
      // 19 writers (the rest of the pool) block on the row lock, all expecting version 1.
      const waiting = Array.from({ length: 19 }, () =>
        t.store.append(streamId, 1, [newEvent('Tranche')]).then(
          () => 'ok',
          (error: unknown) => error,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await holder.query('COMMIT');
      const outcomes = await Promise.all(waiting);
      for (const outcome of outcomes)
        expect(outcome).toMatchObject({ code: 'stream_version_conflict', actual: 2 });
    } finally {
      holder.release();
    }
    expect(await t.store.streamVersion(streamId)).toBe(2);
  });

  it('50 concurrent writers with expected version any all succeed with distinct, gap-free versions', async () => {
    const streamId = streamOf('disbursement');
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.store.append(streamId, 'any', [newEvent('Tranche')])),
    );
    expect(results.map((r) => r.nextVersion).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it("writers with 'any' that race the creator of a new stream wait for it and continue its chain", async () => {
    const streamId = streamOf('disbursement');
    const creator = await t.pool.connect();
    try {
      await creator.query('BEGIN');
      await t.store.append(streamId, 'no_stream', [newEvent('Opened')], { client: creator });
      // They find no stream row, try to create it and queue on the creator's uncommitted row.
      const anyWriters = Array.from({ length: 5 }, () =>
        t.store.append(streamId, 'any', [newEvent('Tranche')]),
      );
      const secondCreator = t.store.append(streamId, 'no_stream', [newEvent('Opened')]).then(
        () => 'ok',
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await creator.query('COMMIT');
      const versions = (await Promise.all(anyWriters)).map((r) => r.nextVersion);
      expect(versions.sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6]);
      expect(await secondCreator).toMatchObject({ code: 'stream_version_conflict' });
    } finally {
      creator.release();
    }
    const report = await verifyHashChains(t.pool, t.schema);
    expect(report.broken).toEqual([]);
    expect((await t.store.readStream(streamId)).map((e) => e.streamVersion)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });

  it('keeps every hash chain intact under concurrent writers of many streams', async () => {
    const streams = Array.from({ length: 5 }, () => streamOf('payout'));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.store.append(streams[i % streams.length], 'any', [newEvent('A'), newEvent('B')]),
      ),
    );
    for (const streamId of streams) expect(await t.store.streamVersion(streamId)).toBe(24);
    expect((await verifyHashChains(t.pool, t.schema)).broken).toEqual([]);
  });

  it('concurrent retries of the same batch append it once', async () => {
    const streamId = streamOf('payout');
    const batch = [newEvent('PayoutRequested')];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.store.append(streamId, i % 2 ? 'any' : 'no_stream', batch),
      ),
    );
    expect(results.filter((r) => !r.alreadyAppended)).toHaveLength(1);
    expect(await t.store.streamVersion(streamId)).toBe(1);
  });

  it('appends inside the caller transaction: invisible until commit, gone on rollback', async () => {
    const streamId = streamOf('grant');
    const client = await t.pool.connect();
    try {
      await client.query('BEGIN');
      await t.store.append(streamId, 'no_stream', [newEvent('A')], { client });
      expect(await t.store.readStream(streamId)).toHaveLength(0);
      expect(await t.store.readStream(streamId, { client })).toHaveLength(1);
      await client.query('ROLLBACK');
      expect(await t.store.streamVersion(streamId)).toBe(0);
      await client.query('BEGIN');
      await t.store.append(streamId, 'no_stream', [newEvent('A')], { client });
      await expect(
        t.store.append(streamId, 'no_stream', [newEvent('B')], { client }),
      ).rejects.toBeInstanceOf(StreamVersionConflictError);
      // A conflict does not abort the caller's transaction.
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await t.store.streamVersion(streamId)).toBe(1);
  });

  it('refuses updates and deletes of events', async () => {
    const streamId = streamOf('grant');
    await t.store.append(streamId, 'no_stream', [newEvent('A')]);
    await expect(
      t.pool.query(`UPDATE "${t.schema}".events SET type = 'X' WHERE stream_id = $1`, [streamId]),
    ).rejects.toThrow(/append-only/);
    await expect(
      t.pool.query(`DELETE FROM "${t.schema}".events WHERE stream_id = $1`, [streamId]),
    ).rejects.toThrow(/append-only/);
  });

  it('upcasts old schema versions on read, chaining upcasters', async () => {
    const streamId = streamOf('application');
    await t.store.append(streamId, 'no_stream', [
      newEvent('ApplicationSubmitted', { name: 'Ada Lovelace' }, { schemaVersion: 1 }),
      newEvent(
        'ApplicationSubmitted',
        { firstName: 'Alan', lastName: 'Turing' },
        { schemaVersion: 2 },
      ),
      newEvent('Other', { name: 'kept' }),
    ]);
    const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    try {
      const upcasting = new PostgresEventStore(pool, t.schema, {
        upcasters: [
          {
            type: 'ApplicationSubmitted',
            fromSchemaVersion: 1,
            upcast: (data) => {
              const [firstName, ...rest] = String(data.name).split(' ');
              return { firstName, lastName: rest.join(' ') };
            },
          },
          {
            type: 'ApplicationSubmitted',
            fromSchemaVersion: 2,
            upcast: (data) => ({
              applicant: { firstName: data.firstName, lastName: data.lastName },
            }),
          },
        ],
      });
      const events = await upcasting.readStream(streamId);
      expect(events.map((e) => [e.schemaVersion, e.data])).toEqual([
        [3, { applicant: { firstName: 'Ada', lastName: 'Lovelace' } }],
        [3, { applicant: { firstName: 'Alan', lastName: 'Turing' } }],
        [1, { name: 'kept' }],
      ]);
    } finally {
      await pool.end();
    }
  });
});
