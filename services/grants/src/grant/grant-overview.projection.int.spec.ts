import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  installEventStoreSchema,
  PostgresEventStore,
  ProjectionRunner,
  readStreamsOf,
} from '@lib/event-store';
import { ProblemError } from '@lib/platform';
import { TEST_DATABASE_URL } from '@lib/testing';
import type { Actor } from './grant';
import type { GrantCommand } from './grant.decider';
import { GrantHandler } from './grant.handler';
import {
  GrantOverview,
  grantOverviewDdl,
  grantOverviewProjection,
  recordTrancheProgress,
} from './grant-overview.projection';

describe('grant overview projection (real PostgreSQL)', () => {
  const schema = `grants_int_${randomBytes(5).toString('hex')}`;
  let pool: Pool;
  let store: PostgresEventStore;
  let handler: GrantHandler;
  let overview: GrantOverview;
  let failNextCheckpoint = false;
  let runner: ProjectionRunner;
  const system: Actor = { sub: 'grants', roles: [] };
  const admin: Actor = { sub: 'admin-int', roles: ['admin'] };

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
    await installEventStoreSchema(pool, schema);
    for (const statement of grantOverviewDdl(schema)) await pool.query(statement);
    store = new PostgresEventStore(pool, schema);
    handler = new GrantHandler(store);
    overview = new GrantOverview(pool, { name: 'grants', schema, kafkaBrokers: [] });
    runner = new ProjectionRunner(grantOverviewProjection(readStreamsOf(store), schema), {
      store,
      batchSize: 3, // several batches, and streams split across them
      beforeCheckpoint: async () => {
        if (failNextCheckpoint) {
          failNextCheckpoint = false;
          throw new Error('crash before the checkpoint');
        }
      },
      onError: () => undefined,
    });
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  const drain = async () => {
    while ((await runner.pollOnce()) > 0) {
      /* next batch */
    }
  };

  async function award(founder: string, asset: string, awardedAt: string) {
    const id = randomUUID();
    await handler.execute(id, {
      type: 'AwardGrant',
      data: {
        grantId: id,
        founder,
        payoutAccount: 'pay.test.near',
        title: `Grant ${id.slice(0, 6)}`,
        asset,
        amount: 3n,
        tranches: [
          { number: 1, title: 'One', dueDate: '2027-01-01', amount: 1n },
          { number: 2, title: 'Two', dueDate: '2027-02-01', amount: 2n },
        ],
        awardedAt,
      },
      metadata: { now: new Date(awardedAt), actor: system },
    } satisfies GrantCommand);
    return id;
  }

  const rowsOf = async () =>
    (
      await pool.query<{ id: string; status: string; version: number; kyc_status: string | null }>(
        `SELECT id, status, version, kyc_status FROM "${schema}".grant_overview ORDER BY id`,
      )
    ).rows;

  it('folds each grant with the aggregate’s evolve, batch by batch, and can be rebuilt', async () => {
    const founder = `ada-${randomUUID().slice(0, 6)}.near`;
    const first = await award(founder, 'USDC', '2026-12-01T10:00:00.000Z');
    const second = await award(founder, 'NEAR', '2026-12-01T11:00:00.000Z');
    await drain();
    await handler.execute(first, {
      type: 'RecordKycStatus',
      data: { status: 'verified', expiresAt: null },
      metadata: { now: new Date(), actor: admin },
    });
    await handler.execute(first, {
      type: 'CancelGrant',
      data: { reason: 'No progress' },
      metadata: { now: new Date(), actor: admin },
    });
    await drain();
    const expected = [
      { id: first, status: 'cancelled', version: 3, kyc_status: 'verified' },
      { id: second, status: 'awarded', version: 1, kyc_status: null },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await rowsOf()).toEqual(expected);

    await runner.rebuild();
    expect(await rowsOf()).toEqual([]);
    await drain();
    expect(await rowsOf()).toEqual(expected);
  });

  it('a batch that fails before its checkpoint leaves no rows behind, and is done again', async () => {
    const id = await award(
      `bob-${randomUUID().slice(0, 6)}.near`,
      'USDC',
      new Date().toISOString(),
    );
    failNextCheckpoint = true;
    await expect(runner.pollOnce()).rejects.toThrow('crash before the checkpoint');
    expect((await rowsOf()).find((r) => r.id === id)).toBeUndefined();
    await drain();
    expect((await rowsOf()).find((r) => r.id === id)).toMatchObject({ status: 'awarded' });
  });

  it('lists own or all grants with filters and keyset pages; a tampered cursor is a 400', async () => {
    const founder = `cid-${randomUUID().slice(0, 6)}.near`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        await award(founder, i % 2 === 0 ? 'USDC' : 'NEAR', `2027-01-0${i + 1}T00:00:00.000Z`),
      );
    }
    await drain();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await overview.list({ founder, limit: 2, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const usdc = await overview.list({ founder, asset: 'USDC', limit: 10 });
    expect(usdc.items.map((i) => i.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect(usdc.items[0]).toMatchObject({ asset: 'USDC', amount: 3n, trancheCount: 2 });
    const none = await overview.list({ founder, status: ['active', 'completed'], limit: 10 });
    expect(none.items).toEqual([]);

    const page = await overview.list({ founder, limit: 1 });
    const valid = page.nextCursor!;
    const decoded = JSON.parse(Buffer.from(valid, 'base64url').toString('utf8')) as object;
    const tampered = [
      'not-base64!',
      `${valid}A`,
      Buffer.from(JSON.stringify({ ...decoded, i: "x' OR 1=1" })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, extra: 1 })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, a: 'yesterday' })).toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ];
    for (const cursor of tampered) {
      const error = await overview.list({ limit: 1, cursor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).status).toBe(400);
      expect((error as ProblemError).errors).toEqual([
        expect.objectContaining({ field: 'cursor', code: 'invalid_cursor' }),
      ]);
    }
  });

  it('tranche progress keeps what an event does not mention', async () => {
    const id = randomUUID();
    const client = await pool.connect();
    try {
      await recordTrancheProgress(client, schema, id, 1, { milestoneStatus: 'accepted' });
      await recordTrancheProgress(client, schema, id, 1, {
        disbursementId: `${id}-1`,
        disbursementStatus: 'released',
      });
      await recordTrancheProgress(client, schema, id, 1, {
        payoutStatus: 'broadcast',
        txHash: 'h1',
      });
      await recordTrancheProgress(client, schema, id, 1, { payoutStatus: 'failed', txHash: null });
    } finally {
      client.release();
    }
    expect(await overview.progress(id)).toEqual([
      {
        tranche: 1,
        milestoneStatus: 'accepted',
        disbursementId: `${id}-1`,
        disbursementStatus: 'released',
        payoutStatus: 'failed',
        txHash: 'h1',
      },
    ]);
  });
});
