// `npm run reconcile`: one reconciliation of the payout ledger with the chain. Lists every
// discrepancy (and appends each new one as ReconciliationDiscrepancyFound, which the service's
// relay publishes); exit 1 if there is any, 2 if it could not run.
import { Pool } from 'pg';
import { PostgresEventStore } from '@lib/event-store';
import { createNearProvider, resolveNearNetwork } from '@lib/near';
import { loadConfig } from '../config';
import { treasuryAccountOf } from '../lane/signer-lanes.config';
import { reconcile } from './reconciliation.handler';

async function main(): Promise<number> {
  const config = loadConfig();
  const { rpcUrl, assets } = resolveNearNetwork(config);
  const treasuryAccountId = treasuryAccountOf(config);
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 2 });
  try {
    const found = await reconcile({
      pool,
      store: new PostgresEventStore(pool, 'near_settlement'),
      provider: createNearProvider({ url: rpcUrl }),
      treasuryAccountId,
      assets,
    });
    process.stdout.write(`reconciled ${treasuryAccountId} against ${rpcUrl}\n`);
    if (found.length === 0) {
      process.stdout.write('no discrepancies\n');
      return 0;
    }
    process.stdout.write(`${found.length} discrepanc${found.length === 1 ? 'y' : 'ies'}:\n`);
    for (const d of found) {
      const where = [d.lane && `lane ${d.lane}`, d.payoutId && `payout ${d.payoutId}`]
        .filter(Boolean)
        .join(', ');
      process.stdout.write(
        `  ${d.kind}${where ? ` (${where})` : ''}: ${d.detail}${d.newlyReported ? '' : ' [reported before]'}\n`,
      );
    }
    return 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`reconcile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
