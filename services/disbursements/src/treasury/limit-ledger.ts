import type { PoolClient } from 'pg';
import { type MigrationClass, sqlMigration } from '@lib/platform';
import { WINDOW_HOURS } from './treasury-policy';

const TABLE = 'disbursements.limit_reservations';

export const limitLedgerMigrations: MigrationClass[] = [
  sqlMigration('LimitReservations1764300000300', [
    `CREATE TABLE ${TABLE} (
       disbursement_id text NOT NULL,
       attempt int NOT NULL,
       asset text NOT NULL,
       amount numeric(40, 0) NOT NULL CHECK (amount > 0),
       status text NOT NULL CHECK (status IN ('reserved', 'posted', 'voided')),
       reserved_at timestamptz NOT NULL,
       posted_at timestamptz,
       voided_at timestamptz,
       PRIMARY KEY (disbursement_id, attempt))`,
    `CREATE INDEX limit_reservations_window ON ${TABLE} (asset, reserved_at)
       WHERE status <> 'voided'`,
  ]),
];

export interface WindowUsage {
  /** Released, not yet settled. */
  reserved: bigint;
  /** Settled. */
  posted: bigint;
}

/**
 * The rolling-window limit as reservations: a release reserves its amount at its release time;
 * settlement posts it; a definitive failure voids it. What counts against the limit at `now` is
 * every reserved or posted amount released after now − 24 h — with no upper bound: a reservation
 * dated after `now` (made by a replica whose clock is ahead, or before this clock stepped back)
 * counts too, so clock skew between replicas can never let the limit be exceeded.
 */
export const limitLedger = {
  async usage(client: PoolClient, asset: string, now: Date): Promise<WindowUsage> {
    const { rows } = await client.query<{ reserved: string; posted: string }>(
      `SELECT coalesce(sum(amount) FILTER (WHERE status = 'reserved'), 0)::text AS reserved,
              coalesce(sum(amount) FILTER (WHERE status = 'posted'), 0)::text AS posted
       FROM ${TABLE}
       WHERE asset = $1 AND status <> 'voided'
         AND reserved_at > $2::timestamptz - make_interval(hours => $3)`,
      [asset, now, WINDOW_HOURS],
    );
    return { reserved: BigInt(rows[0].reserved), posted: BigInt(rows[0].posted) };
  },

  /** Reserves a release; a second reservation of the same attempt is a bug and fails the transaction. */
  async reserve(
    client: PoolClient,
    entry: { disbursementId: string; attempt: number; asset: string; amount: bigint; at: Date },
  ): Promise<void> {
    await client.query(
      `INSERT INTO ${TABLE} (disbursement_id, attempt, asset, amount, status, reserved_at)
       VALUES ($1, $2, $3, $4, 'reserved', $5)`,
      [entry.disbursementId, entry.attempt, entry.asset, entry.amount.toString(), entry.at],
    );
  },

  /**
   * The attempt settled on chain: it counts, whatever was recorded before (even a void — money
   * that left is never given back to the limit).
   */
  async post(client: PoolClient, disbursementId: string, attempt: number, at: Date): Promise<void> {
    await client.query(
      `UPDATE ${TABLE} SET status = 'posted', posted_at = $3
       WHERE disbursement_id = $1 AND attempt = $2 AND status <> 'posted'`,
      [disbursementId, attempt, at],
    );
  },

  /** The attempt definitively failed: its amount is available again (a posted one never is). */
  async void(client: PoolClient, disbursementId: string, attempt: number, at: Date): Promise<void> {
    await client.query(
      `UPDATE ${TABLE} SET status = 'voided', voided_at = $3
       WHERE disbursement_id = $1 AND attempt = $2 AND status = 'reserved'`,
      [disbursementId, attempt, at],
    );
  },
};
