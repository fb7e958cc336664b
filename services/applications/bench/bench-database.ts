import { Pool } from 'pg';
import { PostgresEventStore, ProjectionRunner } from '@lib/event-store';
import { createDataSource, migrateSchema } from '@lib/platform';
import { migrations } from '../src/migrations';
import { ops as applicationsOps } from '../src/ops';
import { createTempDatabase } from '../test/temp-database';

// What both applications benches stand on: a database of their own with the applications schema
// migrated, dropped again when the bench ends (also when it fails).

export interface BenchDatabase {
  url: string;
  pool: Pool;
  store: PostgresEventStore;
}

/** Runs `bench` on a fresh, migrated database and drops the database afterwards. */
export async function withBenchDatabase(
  bench: (db: BenchDatabase) => Promise<void>,
): Promise<void> {
  const db = await createTempDatabase();
  const pool = new Pool({ connectionString: db.url, max: 8 });
  try {
    const dataSource = createDataSource({
      databaseUrl: db.url,
      schema: 'applications',
      migrations,
    });
    try {
      await migrateSchema(pool, dataSource, 'applications');
    } finally {
      await dataSource.destroy();
    }
    await bench({ url: db.url, pool, store: new PostgresEventStore(pool, 'applications') });
  } finally {
    await pool.end();
    await db.drop();
  }
}

/** Builds the application queue from the first event to the last, as a fresh projection does. */
export async function buildQueue(store: PostgresEventStore): Promise<void> {
  const projection = new ProjectionRunner(applicationsOps.projections![0].create(store), {
    store,
    batchSize: 2000,
  });
  while ((await projection.pollOnce()) > 0);
}
