/**
 * Verifies the event store hash chains of one schema.
 * Usage: DATABASE_URL=postgres://… node -r @swc-node/register libs/event-store/src/cli/verify.ts --schema <schema>
 * Exit codes: 0 intact, 1 broken links found (the first per stream is printed), 2 usage/connection error.
 */
import { Pool } from 'pg';
import { verifyHashChains } from '../verify';

async function main(): Promise<number> {
  const index = process.argv.indexOf('--schema');
  const schema = index >= 0 ? process.argv[index + 1] : undefined;
  const databaseUrl = process.env.DATABASE_URL;
  if (!schema || !databaseUrl) {
    console.error('usage: DATABASE_URL=… verify.ts --schema <schema>');
    return 2;
  }
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 1,
    application_name: 'event-store-verify',
  });
  try {
    const report = await verifyHashChains(pool, schema);
    console.log(
      `schema ${schema}: ${report.streamsChecked} streams, ${report.eventsChecked} events checked`,
    );
    if (report.broken.length === 0) {
      console.log('all hash chains intact');
      return 0;
    }
    for (const link of report.broken) {
      console.log(`BROKEN ${link.streamId} @ version ${link.streamVersion}: ${link.reason}`);
    }
    return 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
