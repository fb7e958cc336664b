import { sqlMigration, type MigrationClass } from '@lib/platform';

const S = 'near_settlement';

/**
 * The payout ledger. `payouts` mirrors each Payout stream (one row per disbursement attempt);
 * `payout_transactions` keeps every transaction signed for a payout — the exact signed bytes,
 * hash, key, nonce and referenced block — written BEFORE the first network call; `signer_lanes`
 * keeps each lane key's highest nonce used. Rows change only in the transaction that appends the
 * Payout's events, so ledger and stream never disagree.
 */
export const payoutLedgerMigrations: MigrationClass[] = [
  sqlMigration(
    'PayoutLedger1764583200000',
    [
      `CREATE TABLE ${S}.payouts (
        payout_id text PRIMARY KEY,
        disbursement_id text NOT NULL,
        attempt integer NOT NULL CHECK (attempt >= 1),
        grant_id text NOT NULL,
        tranche integer NOT NULL,
        treasury_account_id text NOT NULL,
        receiver text NOT NULL,
        asset text NOT NULL,
        amount numeric(39, 0) NOT NULL CHECK (amount > 0),
        status text NOT NULL CHECK (status IN ('requested', 'signed', 'broadcast', 'settled', 'failed')),
        lane text,
        current_tx_hash text,
        failure_reason text,
        settled_block_hash text,
        settled_block_height bigint,
        released_at timestamptz NOT NULL,
        correlation_id text NOT NULL,
        causation_id text,
        requested_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        seq bigserial NOT NULL,
        UNIQUE (disbursement_id, attempt)
      )`,
      `CREATE INDEX payouts_open ON ${S}.payouts (treasury_account_id, lane, seq)
        WHERE status IN ('requested', 'signed', 'broadcast')`,
      `CREATE TABLE ${S}.payout_transactions (
        tx_hash text PRIMARY KEY,
        payout_id text NOT NULL REFERENCES ${S}.payouts (payout_id),
        signer_account_id text NOT NULL,
        signer_public_key text NOT NULL,
        nonce numeric(20, 0) NOT NULL,
        block_hash text NOT NULL,
        block_height bigint NOT NULL,
        receiver_id text NOT NULL,
        signed_tx_base64 text NOT NULL,
        status text NOT NULL CHECK (status IN ('signed', 'broadcast', 'dead', 'settled', 'failed')),
        outcome_block_hash text,
        outcome_block_height bigint,
        failure_reason text,
        death_proof jsonb,
        signed_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (signer_public_key, nonce)
      )`,
      // At most one transaction per payout may land: enforced by the database as well.
      `CREATE UNIQUE INDEX payout_transactions_one_live ON ${S}.payout_transactions (payout_id)
        WHERE status IN ('signed', 'broadcast')`,
      `CREATE TABLE ${S}.signer_lanes (
        public_key text PRIMARY KEY,
        account_id text NOT NULL,
        last_nonce numeric(20, 0) NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${S}.balance_baselines (
        account_id text NOT NULL,
        asset text NOT NULL,
        balance numeric(39, 0) NOT NULL,
        block_height bigint NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, asset)
      )`,
    ],
    [
      `DROP TABLE IF EXISTS ${S}.balance_baselines`,
      `DROP TABLE IF EXISTS ${S}.signer_lanes`,
      `DROP TABLE IF EXISTS ${S}.payout_transactions`,
      `DROP TABLE IF EXISTS ${S}.payouts`,
    ],
  ),
  // Reconciliation checks each final transaction until the chain agrees once: a node forgets
  // old transactions (garbage collection), which must not read as a mismatch later.
  sqlMigration(
    'PayoutLedgerChainVerified1764590000000',
    [`ALTER TABLE ${S}.payout_transactions ADD COLUMN chain_verified_at timestamptz`],
    [`ALTER TABLE ${S}.payout_transactions DROP COLUMN IF EXISTS chain_verified_at`],
  ),
];
