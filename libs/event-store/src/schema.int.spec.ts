import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import {
  eventStoreMigrations,
  installEventStoreSchema,
  PostgresEventStore,
  StreamVersionConflictError,
  verifyHashChains,
} from '.';
import { newEvent, TEST_DATABASE_URL } from '../test/support';

describe('event store schema (real Postgres)', () => {
  const schema = `es_${randomBytes(6).toString('hex')}`;
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  const planCacheMode = async (of: string) =>
    (
      await pool.query<{ config: string[] | null }>(
        `SELECT proconfig AS config FROM pg_proc WHERE proname = 'append_events' AND pronamespace = $1::regnamespace`,
        [of],
      )
    ).rows[0].config;
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('TypeORM runs the migrations (13-digit timestamp names), the install is idempotent on top, and down removes them', async () => {
    const migrations = eventStoreMigrations(schema);
    expect(migrations.map((m) => m.name)).toEqual([
      expect.stringMatching(/^EventStoreEs[0-9A-Za-z]+1732600000000$/),
      expect.stringMatching(/^EventStoreEs[0-9A-Za-z]+1796100000000$/),
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
      expect((await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(
        migrations.map((m) => m.name),
      );
      await installEventStoreSchema(pool, schema); // same DDL again: no error, no change
      const store = new PostgresEventStore(pool, schema);
      const streamId = `grant-${randomUUID()}`;
      expect(
        (await store.append(streamId, 'no_stream', [newEvent('GrantProposed')])).nextVersion,
      ).toBe(1);
      for (let i = 0; i < migrations.length; i++) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'typeorm_migrations'`,
        [schema],
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  });

  it('migration 2 upgrades a store in use: its streams go on with the same versions, chain and idempotency', async () => {
    const upgraded = `es_${randomBytes(6).toString('hex')}`;
    const [first, second] = eventStoreMigrations(upgraded);
    const runner = { query: (sql: string) => pool.query(sql) } as never;
    await pool.query(`CREATE SCHEMA "${upgraded}"`);
    try {
      await new first().up(runner);
      const store = new PostgresEventStore(pool, upgraded);
      const [a, b] = [`grant-${randomUUID()}`, `grant-${randomUUID()}`];
      const earlier = [newEvent('GrantProposed'), newEvent('GrantReviewed')];
      await store.append(a, 'no_stream', earlier);
      await store.append(b, 'any', [newEvent('GrantProposed')]);

      await new second().up(runner);
      expect(await planCacheMode(upgraded)).toEqual(['plan_cache_mode=force_generic_plan']);
      // A retry of a batch appended before the upgrade is still a no-op.
      expect(await store.append(a, 'no_stream', earlier)).toMatchObject({
        alreadyAppended: true,
        nextVersion: 2,
      });
      await expect(store.append(a, 1, [newEvent('GrantApproved')])).rejects.toBeInstanceOf(
        StreamVersionConflictError,
      );
      expect((await store.append(a, 2, [newEvent('GrantApproved')])).nextVersion).toBe(3);
      expect((await store.append(b, 'any', [newEvent('A'), newEvent('B')])).nextVersion).toBe(3);
      expect(
        (await store.append(`grant-${randomUUID()}`, 'no_stream', [newEvent('GrantProposed')]))
          .nextVersion,
      ).toBe(1);
      const report = await verifyHashChains(pool, upgraded);
      expect(report).toMatchObject({ streamsChecked: 3, eventsChecked: 7, broken: [] });

      // Down resets the setting; the chain still continues. The install re-applies it.
      await new second().down(runner);
      expect(await planCacheMode(upgraded)).toBeNull();
      expect((await store.append(a, 3, [newEvent('GrantClosed')])).nextVersion).toBe(4);
      expect((await verifyHashChains(pool, upgraded)).broken).toEqual([]);
      await installEventStoreSchema(pool, upgraded);
      expect(await planCacheMode(upgraded)).toEqual(['plan_cache_mode=force_generic_plan']);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${upgraded}" CASCADE`);
    }
  });
});
