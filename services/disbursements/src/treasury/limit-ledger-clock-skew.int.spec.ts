import { randomBytes, randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { createDataSource, migrateSchema } from '@lib/platform';
import { migrations } from '../migrations';
import { limitLedger } from './limit-ledger';

const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';
const SECOND = 1000;
const HOUR = 3600 * SECOND;

// Replicas' clocks differ (or one steps back): a reservation made by a replica whose clock is
// ahead is dated after another replica's `now`, and must still count against the limit there.
describe('limit ledger under clock skew (real PostgreSQL)', () => {
  let pool: Pool;
  let client: PoolClient;
  let asset: string;
  const t = new Date('2031-03-01T08:00:00.000Z');
  const at = (ms: number) => new Date(t.getTime() + ms);

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    const dataSource = createDataSource({ databaseUrl, schema: 'disbursements', migrations });
    await migrateSchema(pool, dataSource, 'disbursements');
    await dataSource.destroy();
    client = await pool.connect();
  });

  afterAll(async () => {
    client?.release();
    await pool?.end();
  });

  beforeEach(() => {
    asset = `S${randomBytes(4).toString('hex').toUpperCase()}`;
  });

  const reserve = (amount: bigint, ms: number) =>
    limitLedger.reserve(client, {
      disbursementId: `${randomUUID()}-1`,
      attempt: 1,
      asset,
      amount,
      at: at(ms),
    });

  it('a reservation dated T+5 s (a replica ahead) is in usage(T)', async () => {
    await reserve(700n, 5 * SECOND);
    expect(await limitLedger.usage(client, asset, t)).toEqual({ reserved: 700n, posted: 0n });
  });

  it('a clock stepped back still sees what it reserved before, settled or not', async () => {
    await reserve(300n, 0);
    const settledId = `${randomUUID()}-1`;
    await limitLedger.reserve(client, {
      disbursementId: settledId,
      attempt: 1,
      asset,
      amount: 200n,
      at: at(HOUR),
    });
    await limitLedger.post(client, settledId, 1, at(HOUR + SECOND));
    // The clock stepped back by two hours: both releases lie in its future; both count.
    expect(await limitLedger.usage(client, asset, at(-2 * HOUR))).toEqual({
      reserved: 300n,
      posted: 200n,
    });
    // A future-dated one leaves the window 24 h after its own time, like any other.
    expect(await limitLedger.usage(client, asset, at(24 * HOUR))).toEqual({
      reserved: 0n,
      posted: 200n,
    });
    expect(await limitLedger.usage(client, asset, at(25 * HOUR))).toEqual({
      reserved: 0n,
      posted: 0n,
    });
  });
});
