import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { eventStoreMigrations, installEventStoreSchema, PostgresEventStore } from '.';
import { newEvent, TEST_DATABASE_URL } from '../test/support';

describe('event store schema (real Postgres)', () => {
  const schema = `es_${randomBytes(6).toString('hex')}`;
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('TypeORM runs the migration (13-digit timestamp name), the install is idempotent on top, and down removes it', async () => {
    const migrations = eventStoreMigrations(schema);
    expect(migrations.map((m) => m.name)).toEqual([
      expect.stringMatching(/^EventStoreEs[0-9A-Za-z]+1732600000000$/),
    ]);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const dataSource = new DataSource({
      type: 'postgres',
      url: TEST_DATABASE_URL,
      schema,
      migrations,
      migrationsTableName: 'typeorm_migrations',
      extra: { max: 1 },
    });
    await dataSource.initialize();
    try {
      expect((await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([
        migrations[0].name,
      ]);
      await installEventStoreSchema(pool, schema); // same DDL again: no error, no change
      const store = new PostgresEventStore(pool, schema);
      const streamId = `grant-${randomUUID()}`;
      expect(
        (await store.append(streamId, 'no_stream', [newEvent('GrantProposed')])).nextVersion,
      ).toBe(1);
      await dataSource.undoLastMigration({ transaction: 'each' });
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'typeorm_migrations'`,
        [schema],
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  });
});
