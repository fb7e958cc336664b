import { randomBytes } from 'node:crypto';
import { createDataSource, createPool, migrateSchema, sqlMigration } from '@lib/platform';

const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

describe('PostgreSQL through migrations', () => {
  const schema = `platform_${randomBytes(4).toString('hex')}`;
  const pool = createPool(databaseUrl, 'platform-int-test');
  const migrations = [
    sqlMigration('CreateNotes1764100000000', [
      `CREATE TABLE "${schema}".notes (id int PRIMARY KEY, body text NOT NULL)`,
    ]),
  ];

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('creates the schema, runs migrations once, and the table takes writes and reads', async () => {
    const first = createDataSource({ databaseUrl, schema, migrations });
    const second = createDataSource({ databaseUrl, schema, migrations });
    // Two replicas starting together: the advisory lock makes one run the migration, the other nothing.
    const [a, b] = await Promise.all([
      migrateSchema(pool, first, schema),
      migrateSchema(pool, second, schema),
    ]);
    expect([...a, ...b]).toEqual(['CreateNotes1764100000000']);

    await pool.query(`INSERT INTO "${schema}".notes (id, body) VALUES (1, 'tranche paid')`);
    const { rows } = await pool.query<{ body: string }>(`SELECT body FROM "${schema}".notes`);
    expect(rows).toEqual([{ body: 'tranche paid' }]);

    const recorded = await pool.query<{ name: string }>(
      `SELECT name FROM "${schema}".typeorm_migrations`,
    );
    expect(recorded.rows.map((r) => r.name)).toEqual(['CreateNotes1764100000000']);
    await Promise.all([first.destroy(), second.destroy()]);
  });
});

describe('createPool when PostgreSQL ends a checked-out connection', () => {
  it('does not end the process: the error is reported, the next query fails, the pool goes on', async () => {
    const lost: string[] = [];
    const pool = createPool(databaseUrl, 'platform-int-lost', 2, undefined, (error) =>
      lost.push(error.message),
    );
    const admin = createPool(databaseUrl, 'platform-int-admin', 1);
    try {
      // A session held between queries, as the treasury run's lock session or a transaction
      // waiting for Kafka is: not idle in the pool, so pg-pool's own listener is not on it.
      const held = await pool.connect();
      expect(held.listenerCount('error')).toBeGreaterThan(0);
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // What a PostgreSQL restart does to that session. Without a listener of our own the
      // `error` event would be an uncaught exception here (and the end of a service process).
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      await eventuallyTrue(() => lost.length > 0);
      expect(lost[0]).toMatch(/terminat|ECONNRESET|Connection terminated/i);
      await expect(held.query('SELECT 1')).rejects.toThrow();
      held.release();
      // The dead client is not handed out again.
      const fresh = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(fresh.rows).toEqual([{ one: 1 }]);
      expect(pool.totalCount).toBe(1);
    } finally {
      await pool.end();
      await admin.end();
    }
  });
});

async function eventuallyTrue(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
