import type { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` in one transaction on a client of its own: BEGIN (or `begin`, e.g.
 * `BEGIN ISOLATION LEVEL SERIALIZABLE`), COMMIT on success, ROLLBACK on a throw (rethrown). A
 * client whose ROLLBACK fails is destroyed instead of going back to the pool.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: { begin?: string } = {},
): Promise<T> {
  return withTransactionClient(pool, async (client) => {
    await client.query(options.begin ?? 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

/**
 * The client side of {@link withTransaction} for a transaction whose statements `fn` issues
 * itself (BEGIN sent together with other statements, an early ROLLBACK): runs `fn` on a client of
 * its own; on a throw it sends ROLLBACK and rethrows, and a client whose ROLLBACK fails is
 * destroyed instead of going back to the pool.
 */
export async function withTransactionClient<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError; // connection unusable: do not return it to the pool
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
