import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { withTransaction } from './transaction';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

describe('withTransaction (real Postgres)', () => {
  const table = `tx_${randomBytes(6).toString('hex')}`;
  const pool = new Pool({ connectionString: url, max: 2 });
  beforeAll(async () => {
    await pool.query(`CREATE TABLE public."${table}" (id int PRIMARY KEY)`);
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS public."${table}"`);
    await pool.end();
  });
  const ids = async () =>
    (await pool.query<{ id: number }>(`SELECT id FROM public."${table}" ORDER BY id`)).rows.map(
      (r) => r.id,
    );

  it('commits what fn wrote and returns its result', async () => {
    const result = await withTransaction(pool, async (client) => {
      await client.query(`INSERT INTO public."${table}" VALUES (1), (2)`);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await ids()).toEqual([1, 2]);
  });

  it('rolls back every write when fn throws, rethrows, and the pool stays usable', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        await client.query(`INSERT INTO public."${table}" VALUES (3)`);
        await client.query(`INSERT INTO public."${table}" VALUES (1)`); // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await ids()).toEqual([1, 2]);
  });

  it('opens the transaction with the given BEGIN', async () => {
    const level = await withTransaction(
      pool,
      async (client) =>
        (
          await client.query<{ l: string }>('SELECT current_setting($1) AS l', [
            'transaction_isolation',
          ])
        ).rows[0].l,
      { begin: 'BEGIN ISOLATION LEVEL SERIALIZABLE' },
    );
    expect(level).toBe('serializable');
  });
});
