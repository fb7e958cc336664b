import { Pool } from 'pg';
import { PostgresEventStore } from '@lib/event-store';
import { createNearProvider, resolveNearNetwork } from '@lib/near';
import type { ServiceOps } from '@lib/ops';
import { loadConfig } from './config';
import { treasuryAccountOf } from './lane/signer-lanes.config';
import { reconcile } from './reconciliation/reconciliation.handler';

/**
 * What the operator CLI (`npm run ops`) may do with this service: `ops reconcile` runs the same
 * reconciliation as `npm run reconcile` and the schedule (each new discrepancy is appended as
 * ReconciliationDiscrepancyFound).
 */
export const ops: ServiceOps = {
  service: 'near-settlement',
  schema: 'near_settlement',
  reconcile: async (ctx, report) => {
    const config = loadConfig({ ...ctx.env, DATABASE_URL: ctx.databaseUrl });
    const { rpcUrl, assets } = resolveNearNetwork(config);
    const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2, application_name: 'ops' });
    try {
      report(0, 1);
      const found = await reconcile({
        pool,
        store: new PostgresEventStore(pool, 'near_settlement'),
        provider: createNearProvider({ url: rpcUrl }),
        treasuryAccountId: treasuryAccountOf(config),
        assets,
      });
      report(1, 1);
      return {
        checked: 1,
        discrepancies: found.map((d) => ({
          kind: d.kind,
          detail:
            [d.lane && `lane ${d.lane}`, d.payoutId && `payout ${d.payoutId}`]
              .filter(Boolean)
              .join(', ') +
            (d.lane || d.payoutId ? ': ' : '') +
            d.detail +
            (d.newlyReported ? '' : ' [reported before]'),
        })),
      };
    } finally {
      await pool.end();
    }
  },
};
