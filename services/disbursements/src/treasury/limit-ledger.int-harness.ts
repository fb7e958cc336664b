import { randomBytes } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { createDataSource, migrateSchema } from '@lib/platform';
import { TEST_DATABASE_URL } from '@lib/testing';
import { migrations } from '../migrations';

/** What a limit-ledger int spec runs on (set by the hooks {@link ledgerTestBed} registers). */
export interface LedgerTestBed {
  /** One connection to the test database, `disbursements` schema migrated. */
  client: PoolClient;
  /** An asset of each test's own, so no test sees another's reservations. */
  asset: string;
}

/** Registers the jest hooks of a limit-ledger int spec (real PostgreSQL); read the bed in a test. */
export function ledgerTestBed(assetPrefix: string): LedgerTestBed {
  const bed = {} as LedgerTestBed;
  let pool: Pool | undefined;
  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    const dataSource = createDataSource({
      databaseUrl: TEST_DATABASE_URL,
      schema: 'disbursements',
      migrations,
    });
    await migrateSchema(pool, dataSource, 'disbursements');
    await dataSource.destroy();
    bed.client = await pool.connect();
  });
  afterAll(async () => {
    bed.client?.release();
    await pool?.end();
  });
  beforeEach(() => {
    bed.asset = `${assetPrefix}${randomBytes(4).toString('hex').toUpperCase()}`;
  });
  return bed;
}
