import { quoteIdent, type SubscriptionLag } from '@lib/platform';
import type { Pool } from 'pg';

/** Lag of every subscription (checkpoint) of a store: `/metrics` and `npm run ops -- lag` read it. */
export interface SubscriptionLagRow extends SubscriptionLag {
  /** Checkpoint as `transactionId/globalPosition`. */
  checkpoint: string;
  updatedAt: Date;
}

/** Counting stops here so a scrape stays cheap on a huge backlog (reported as at least this). */
const COUNT_CAP = 10_000_000;

/**
 * Per subscription of `schema`: how many events lie after its checkpoint, and how old the oldest
 * of them is (seconds; 0 when caught up). Both use the `(transaction_id, global_position)` index.
 */
export async function readSubscriptionLag(
  pool: Pool,
  schema: string,
): Promise<SubscriptionLagRow[]> {
  const s = quoteIdent(schema);
  const { rows } = await pool.query<{
    name: string;
    events: string;
    seconds: number | null;
    checkpoint: string;
    updated_at: Date;
  }>(
    `SELECT cp.name,
       (SELECT count(*) FROM (SELECT 1 FROM ${s}.events e
          WHERE (e.transaction_id, e.global_position) > (cp.transaction_id, cp.global_position)
          LIMIT ${COUNT_CAP}) behind) AS events,
       (SELECT extract(epoch FROM clock_timestamp() - e.recorded_at)::float8 FROM ${s}.events e
          WHERE (e.transaction_id, e.global_position) > (cp.transaction_id, cp.global_position)
          ORDER BY e.transaction_id, e.global_position LIMIT 1) AS seconds,
       cp.transaction_id::text || '/' || cp.global_position::text AS checkpoint,
       cp.updated_at
     FROM ${s}.subscription_checkpoints cp ORDER BY cp.name`,
  );
  return rows.map((row) => ({
    subscription: row.name,
    events: Number(row.events),
    seconds: Math.max(0, row.seconds ?? 0),
    checkpoint: row.checkpoint,
    updatedAt: row.updated_at,
  }));
}
