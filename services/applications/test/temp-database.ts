import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const adminUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

/**
 * A database of its own for a test that rebuilds or tampers with a whole schema (the shared test
 * database's `applications` schema is in use by other tests). Dropped by `drop()`.
 */
export async function createTempDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ops_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
