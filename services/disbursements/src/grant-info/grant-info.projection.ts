import type { PoolClient } from 'pg';
import { type MigrationClass, sqlMigration } from '@lib/platform';
import type { GrantFacts } from '../disbursement/disbursement.decider';

// What this service keeps from `grants.grant.v1` (written by the grants consumer inside its inbox
// transaction, under the grant's advisory lock), and the accepted milestones that arrived before
// the grant did.

const GRANTS = 'disbursements.grant_info';
const PENDING = 'disbursements.pending_acceptances';

export const grantInfoMigrations: MigrationClass[] = [
  sqlMigration('GrantInfo1764300000200', [
    `CREATE TABLE ${GRANTS} (
       grant_id uuid PRIMARY KEY,
       founder text,
       payout_account text,
       status text NOT NULL,
       kyc_status text,
       kyc_expires_at text,
       payout_account_effective_at timestamptz,
       updated_at timestamptz NOT NULL)`,
    `CREATE TABLE ${PENDING} (
       grant_id uuid NOT NULL,
       tranche int NOT NULL,
       asset text NOT NULL,
       amount numeric(40, 0) NOT NULL,
       founder text NOT NULL,
       accepted_by text NOT NULL,
       received_at timestamptz NOT NULL,
       PRIMARY KEY (grant_id, tranche))`,
  ]),
];

export interface GrantInfo extends GrantFacts {
  grantId: string;
  founder: string | null;
}

export interface PendingAcceptance {
  grantId: string;
  tranche: number;
  asset: string;
  amount: bigint;
  founder: string;
  acceptedBy: string;
}

interface GrantRow {
  grant_id: string;
  founder: string | null;
  payout_account: string | null;
  status: GrantFacts['status'];
  kyc_status: GrantFacts['kycStatus'];
  kyc_expires_at: string | null;
  payout_account_effective_at: Date | null;
}

/** Serialises everything this service does for one grant (consumers and releases). */
export async function lockGrant(client: PoolClient, grantId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `disbursements:grant:${grantId}`,
  ]);
}

/** The grant's row, created as `unknown` if this service has not heard of the grant yet. */
async function ensureGrantRow(client: PoolClient, grantId: string, at: Date): Promise<void> {
  await client.query(
    `INSERT INTO ${GRANTS} (grant_id, status, updated_at) VALUES ($1, 'unknown', $2)
     ON CONFLICT (grant_id) DO NOTHING`,
    [grantId, at],
  );
}

export const grantInfo = {
  async get(client: PoolClient, grantId: string): Promise<GrantInfo | null> {
    const { rows } = await client.query<GrantRow>(`SELECT * FROM ${GRANTS} WHERE grant_id = $1`, [
      grantId,
    ]);
    const row = rows[0];
    if (!row) return null;
    return {
      grantId: row.grant_id,
      founder: row.founder,
      payoutAccount: row.payout_account,
      status: row.status,
      kycStatus: row.kyc_status,
      kycExpiresAt: row.kyc_expires_at,
      payoutAccountEffectiveAt: row.payout_account_effective_at?.toISOString() ?? null,
    };
  },

  /** Creates the row if needed and applies `changes` (only the given columns). */
  async upsert(
    client: PoolClient,
    grantId: string,
    changes: Partial<{
      founder: string;
      payout_account: string;
      status: GrantFacts['status'];
      kyc_status: GrantFacts['kycStatus'];
      kyc_expires_at: string | null;
      payout_account_effective_at: string | null;
      status_version: number;
    }>,
    at: Date,
  ): Promise<void> {
    await ensureGrantRow(client, grantId, at);
    const columns = Object.keys(changes) as (keyof typeof changes)[];
    if (columns.length === 0) return;
    const sets = columns.map((c, i) => `${c} = $${i + 3}`);
    await client.query(
      `UPDATE ${GRANTS} SET ${sets.join(', ')}, updated_at = $2 WHERE grant_id = $1`,
      [grantId, at, ...columns.map((c) => changes[c])],
    );
  },

  /**
   * Applies `changes` to one grant fact and records `version` (the grant stream version of the
   * event they come from) as the fact's version, only when no newer event has set it already: an
   * older event arriving late (a replayed dead letter, an out-of-order redelivery) changes nothing.
   * The same version again is the same grant event (re-produced) and applies the same values.
   * `strict`: only a strictly newer version, and never over a value kept without a version (the
   * terms' payout account must not undo a change). Returns whether it applied.
   */
  async applyFact(
    client: PoolClient,
    grantId: string,
    fact: 'kyc' | 'payout_account',
    version: number,
    changes: Partial<{
      payout_account: string;
      payout_account_effective_at: string | null;
      kyc_status: GrantFacts['kycStatus'];
      kyc_expires_at: string | null;
    }>,
    at: Date,
    options: { strict?: boolean } = {},
  ): Promise<boolean> {
    await ensureGrantRow(client, grantId, at);
    const columns = Object.keys(changes) as (keyof typeof changes)[];
    const sets = columns.map((c, i) => `${c} = $${i + 4}`);
    const versionColumn = `${fact}_version`;
    const valueColumn = fact === 'kyc' ? 'kyc_status' : 'payout_account';
    const newer = options.strict
      ? `(${valueColumn} IS NULL OR ${versionColumn} < $3)`
      : `(${versionColumn} IS NULL OR ${versionColumn} <= $3)`;
    const { rowCount } = await client.query(
      `UPDATE ${GRANTS} SET ${[...sets, `${versionColumn} = $3`].join(', ')}, updated_at = $2
       WHERE grant_id = $1 AND ${newer}`,
      [grantId, at, version, ...columns.map((c) => changes[c])],
    );
    return rowCount === 1;
  },

  async addPending(client: PoolClient, pending: PendingAcceptance, at: Date): Promise<void> {
    await client.query(
      `INSERT INTO ${PENDING} (grant_id, tranche, asset, amount, founder, accepted_by, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (grant_id, tranche) DO NOTHING`,
      [
        pending.grantId,
        pending.tranche,
        pending.asset,
        pending.amount.toString(),
        pending.founder,
        pending.acceptedBy,
        at,
      ],
    );
  },

  /** Removes and returns the grant's waiting acceptances. */
  async takePending(client: PoolClient, grantId: string): Promise<PendingAcceptance[]> {
    const { rows } = await client.query<{
      grant_id: string;
      tranche: number;
      asset: string;
      amount: string;
      founder: string;
      accepted_by: string;
    }>(`DELETE FROM ${PENDING} WHERE grant_id = $1 RETURNING *`, [grantId]);
    return rows
      .sort((a, b) => a.tranche - b.tranche)
      .map((r) => ({
        grantId: r.grant_id,
        tranche: r.tranche,
        asset: r.asset,
        amount: BigInt(r.amount),
        founder: r.founder,
        acceptedBy: r.accepted_by,
      }));
  },

  async countPending(client: { query: PoolClient['query'] }): Promise<number> {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${PENDING}`,
    );
    return Number(rows[0].n);
  },
};
