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
