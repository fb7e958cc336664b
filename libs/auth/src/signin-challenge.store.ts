import { type MigrationClass, quoteIdent, sqlMigration } from '@lib/platform';
import type { Pool } from 'pg';
import { AuthError } from './auth-error';

/** A NEP-413 sign-in challenge: the nonce and message a wallet signs for `recipient`. */
export interface SignInChallenge {
  /** base64 of 32 random bytes (NEP-413 nonce). */
  nonce: string;
  accountId: string;
  message: string;
  recipient: string;
  expiresAt: Date;
  /** The address the challenge was requested from (for the per-address sign-in limit). */
  clientAddress?: string;
}

/**
 * Where issued NEP-413 nonces live until used once. `consume` is atomic: of two concurrent
 * verifications with the same nonce, exactly one succeeds.
 */
export interface SignInChallengeStore {
  /** Stores a new challenge; a nonce that already exists is an error. */
  issue(challenge: SignInChallenge): Promise<void>;
  /**
   * Marks the challenge of `nonce` used by `accountId` at `now` and returns it. Throws AuthError
   * 401: `challenge_unknown` (no such nonce, or issued to another account — not told apart, so
   * the answer reveals nothing about other accounts), `challenge_reused`, `challenge_expired`.
   */
  consume(nonce: string, accountId: string, now: Date): Promise<SignInChallenge>;
  /** Deletes challenges that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
  /** How many challenges were issued since `since` to `accountId`, and to `clientAddress`. */
  countIssuedSince(
    since: Date,
    who: { accountId: string; clientAddress?: string },
  ): Promise<{ account: number; address: number }>;
}

/**
 * DDL of `<schema>.signin_challenges`, for the owning service's migration list (run with
 * `migrateSchema` from @lib/platform).
 */
export function signInMigrations(schema: string): MigrationClass[] {
  const table = `${quoteIdent(schema)}.signin_challenges`;
  return [
    sqlMigration(
      'CreateSignInChallenges1764547200000',
      [
        `CREATE TABLE ${table} (
          nonce text PRIMARY KEY,
          account_id text NOT NULL,
          message text NOT NULL,
          recipient text NOT NULL,
          issued_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          used_at timestamptz
        )`,
        `CREATE INDEX signin_challenges_expires_at_idx ON ${table} (expires_at)`,
      ],
      [`DROP TABLE ${table}`],
    ),
    sqlMigration(
      'SignInChallengeLimits1764633600000',
      [
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS client_address text`,
        `CREATE INDEX IF NOT EXISTS signin_challenges_account_issued_idx ON ${table} (account_id, issued_at)`,
        `CREATE INDEX IF NOT EXISTS signin_challenges_address_issued_idx ON ${table} (client_address, issued_at)`,
      ],
      [
        `DROP INDEX IF EXISTS ${quoteIdent(schema)}.signin_challenges_address_issued_idx`,
        `DROP INDEX IF EXISTS ${quoteIdent(schema)}.signin_challenges_account_issued_idx`,
        `ALTER TABLE ${table} DROP COLUMN IF EXISTS client_address`,
      ],
    ),
  ];
}

interface ChallengeRow {
  nonce: string;
  account_id: string;
  message: string;
  recipient: string;
  expires_at: Date;
  used_at: Date | null;
}

/** SignInChallengeStore on Postgres (`pg` pool, table in the given schema). */
export class PgSignInChallengeStore implements SignInChallengeStore {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.table = `${quoteIdent(schema)}.signin_challenges`;
  }

  async issue(challenge: SignInChallenge): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (nonce, account_id, message, recipient, expires_at, client_address)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        challenge.nonce,
        challenge.accountId,
        challenge.message,
        challenge.recipient,
        challenge.expiresAt,
        challenge.clientAddress ?? null,
      ],
    );
  }

  async consume(nonce: string, accountId: string, now: Date): Promise<SignInChallenge> {
    const used = await this.pool.query<ChallengeRow>(
      `UPDATE ${this.table} SET used_at = $3
        WHERE nonce = $1 AND account_id = $2 AND used_at IS NULL AND expires_at > $3
        RETURNING nonce, account_id, message, recipient, expires_at, used_at`,
      [nonce, accountId, now],
    );
    if (used.rows[0]) return toChallenge(used.rows[0]);
    // Nothing updated: find out why, for the error code only (the decision is already made).
    const found = await this.pool.query<ChallengeRow>(
      `SELECT nonce, account_id, message, recipient, expires_at, used_at FROM ${this.table} WHERE nonce = $1`,
      [nonce],
    );
    const row = found.rows[0];
    if (!row || row.account_id !== accountId) {
      throw new AuthError('challenge_unknown', 'sign-in nonce is unknown');
    }
    if (row.used_at) throw new AuthError('challenge_reused', 'sign-in nonce was already used');
    throw new AuthError('challenge_expired', 'sign-in nonce has expired; request a new challenge');
  }

  async countIssuedSince(
    since: Date,
    who: { accountId: string; clientAddress?: string },
  ): Promise<{ account: number; address: number }> {
    const { rows } = await this.pool.query<{ account: string; address: string }>(
      `SELECT
         (SELECT count(*) FROM ${this.table} WHERE account_id = $1 AND issued_at >= $3) AS account,
         (SELECT count(*) FROM ${this.table} WHERE client_address = $2 AND issued_at >= $3) AS address`,
      [who.accountId, who.clientAddress ?? null, since],
    );
    return { account: Number(rows[0].account), address: Number(rows[0].address) };
  }

  async purgeExpired(before: Date): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.table} WHERE expires_at < $1`, [
      before,
    ]);
    return result.rowCount ?? 0;
  }
}

function toChallenge(row: ChallengeRow): SignInChallenge {
  return {
    nonce: row.nonce,
    accountId: row.account_id,
    message: row.message,
    recipient: row.recipient,
    expiresAt: row.expires_at,
  };
}
