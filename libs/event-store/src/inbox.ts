import { quoteIdent, withTransactionClient } from '@lib/platform';
import type { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` at most once per `(consumerName, eventId)`: records the event in the inbox and runs
 * `fn` in the same transaction, so effects (e.g. appended events) and the inbox row commit
 * together. A redelivered event returns `'duplicate'` without calling `fn`. If `fn` throws, the
 * transaction rolls back (no inbox row) and the error is rethrown.
 */
export async function withInbox(
  pool: Pool,
  schema: string,
  consumerName: string,
  eventId: string,
  fn: (client: PoolClient) => Promise<void>,
): Promise<'processed' | 'duplicate'> {
  return withTransactionClient(pool, async (client) => {
    await client.query('BEGIN');
    const inserted = await client.query(
      `INSERT INTO ${quoteIdent(schema)}.inbox (consumer, event_id) VALUES ($1, $2)
       ON CONFLICT (consumer, event_id) DO NOTHING`,
      [consumerName, eventId],
    );
    if (inserted.rowCount === 0) {
      await client.query('ROLLBACK');
      return 'duplicate';
    }
    await fn(client);
    await client.query('COMMIT');
    return 'processed';
  });
}
