import { createHash } from 'node:crypto';
import type { JsonRpcProvider } from 'near-api-js';
import type { Pool } from 'pg';
import type { PostgresEventStore } from '@lib/event-store';
import { StreamVersionConflictError } from '@lib/event-store';
import {
  getTransactionStatus,
  viewAccessKey,
  type AssetRegistry,
  type TransactionStatus,
} from '@lib/near';

const S = 'near_settlement';

/**
 * NEAR a treasury transaction may burn beyond its deposits (gas for two 30 TGas calls at the
 * minimum gas price is ~0.006 NEAR) plus a storage registration (0.00125 NEAR): 0.01 NEAR.
 */
export const NEAR_ALLOWANCE_PER_TRANSACTION = 10n ** 22n;

export type DiscrepancyKind = 'outcome_mismatch' | 'foreign_nonce' | 'balance_mismatch';

export interface Discrepancy {
  discrepancyId: string;
  kind: DiscrepancyKind;
  detail: string;
  lane: string | null;
  payoutId: string | null;
  /** false when the same discrepancy was already reported by an earlier run. */
  newlyReported: boolean;
}

export interface ReconcileOptions {
  pool: Pool;
  store: PostgresEventStore;
  provider: JsonRpcProvider;
  treasuryAccountId: string;
  assets: AssetRegistry;
  now?: () => Date;
  /** Unverified ledger transactions checked per run (oldest first). Default 5000. */
  transactionLimit?: number;
}

/** A stable uuid per discrepancy, so a run that finds the same thing again does not re-report it. */
function discrepancyIdOf(fingerprint: string): string {
  const h = createHash('sha256').update(fingerprint).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const kindOf = (status: TransactionStatus): 'success' | 'failure' | 'unknown' | 'pending' =>
  status.kind;

/**
 * One reconciliation of the payout ledger with the chain (DESIGN.md §5.4):
 * 1. every ledger transaction's outcome: `settled` must have succeeded on chain; `failed` must not
 *    have succeeded; `dead` must be unknown to the chain. A final transaction is checked until
 *    the chain agrees once (then `chain_verified_at`), since nodes forget old transactions;
 * 2. every lane key's nonce on chain must not exceed the highest nonce the ledger used (a higher
 *    one means someone else signs with our key);
 * 3. balances: per asset, at a final block H, the treasury must hold at least what the ledger
 *    explains — the balance at the first reconciliation (the baseline, at height B) minus the
 *    amounts of payouts settled in (B, H], and for NEAR also minus 0.01 NEAR per transaction the
 *    ledger had included in (B, H]. Increases (top-ups) are not discrepancies.
 * Each discrepancy is appended once as `ReconciliationDiscrepancyFound` (the relay publishes it).
 */
export async function reconcile(options: ReconcileOptions): Promise<Discrepancy[]> {
  const { pool, provider, treasuryAccountId } = options;
  const found: Omit<Discrepancy, 'discrepancyId' | 'newlyReported'>[] = [];
  const fingerprints: string[] = [];
  const add = (d: Omit<Discrepancy, 'discrepancyId' | 'newlyReported'>, fingerprint: string) => {
    found.push(d);
    fingerprints.push(fingerprint);
  };

  // 1. outcomes
  const txs = await pool.query<{
    tx_hash: string;
    payout_id: string;
    status: string;
    signer_account_id: string;
    signer_public_key: string;
  }>(
    `SELECT tx_hash, payout_id, status, signer_account_id, signer_public_key
     FROM ${S}.payout_transactions
     WHERE signer_account_id = $1 AND status IN ('settled', 'failed', 'dead')
       AND chain_verified_at IS NULL
     ORDER BY signed_at LIMIT $2`,
    [treasuryAccountId, options.transactionLimit ?? 5000],
  );
  for (const tx of txs.rows) {
    const chain = kindOf(await getTransactionStatus(provider, tx.tx_hash, tx.signer_account_id));
    const mismatch =
      (tx.status === 'settled' && chain !== 'success') ||
      (tx.status === 'failed' && chain === 'success') ||
      (tx.status === 'dead' && chain !== 'unknown');
    // A refused (never included) transaction stays under watch: only we hold its bytes, but until
    // its nonce is passed or it expires, it could still land.
    const settledForGood = !(tx.status === 'failed' && chain === 'unknown');
    if (!mismatch && settledForGood) {
      await pool.query(
        `UPDATE ${S}.payout_transactions SET chain_verified_at = now() WHERE tx_hash = $1`,
        [tx.tx_hash],
      );
    } else if (mismatch) {
      add(
        {
          kind: 'outcome_mismatch',
          detail: `ledger says ${tx.status}, chain says ${chain} for transaction ${tx.tx_hash}`,
          lane: tx.signer_public_key,
          payoutId: tx.payout_id,
        },
        `outcome:${tx.tx_hash}:${tx.status}:${chain}`,
      );
    }
  }

  // 2. lane nonces
  const lanes = await pool.query<{ public_key: string; last_nonce: string }>(
    `SELECT public_key, last_nonce::text AS last_nonce FROM ${S}.signer_lanes WHERE account_id = $1`,
    [treasuryAccountId],
  );
  for (const lane of lanes.rows) {
    const key = await viewAccessKey(provider, treasuryAccountId, lane.public_key, 'final');
    if (key && key.nonce > BigInt(lane.last_nonce)) {
      add(
        {
          kind: 'foreign_nonce',
          detail: `lane key nonce on chain is ${key.nonce}, above the ledger's highest ${lane.last_nonce}: someone else signs with this key`,
          lane: lane.public_key,
          payoutId: null,
        },
        `nonce:${lane.public_key}:${key.nonce}`,
      );
    }
  }

  // 3. balances
  await reconcileBalances(options, add);

  const now = (options.now ?? (() => new Date()))();
  const results: Discrepancy[] = [];
  for (let i = 0; i < found.length; i++) {
    const discrepancyId = discrepancyIdOf(`${treasuryAccountId}:${fingerprints[i]}`);
    let newlyReported = true;
    try {
      const appended = await options.store.append(`reconciliation-${discrepancyId}`, 0, [
        {
          eventId: discrepancyId,
          type: 'ReconciliationDiscrepancyFound',
          data: { discrepancyId, ...found[i], foundAt: now.toISOString() },
          metadata: {
            correlationId: `reconciliation-${now.getTime()}`,
            actor: 'near-settlement.reconciliation',
            occurredAt: now,
          },
        },
      ]);
      newlyReported = !appended.alreadyAppended;
    } catch (error) {
      if (!(error instanceof StreamVersionConflictError)) throw error;
      newlyReported = false;
    }
    results.push({ discrepancyId, ...found[i], newlyReported });
  }
  return results;
}

async function reconcileBalances(
  options: ReconcileOptions,
  add: (d: Omit<Discrepancy, 'discrepancyId' | 'newlyReported'>, fingerprint: string) => void,
): Promise<void> {
  const { pool, provider, treasuryAccountId, assets } = options;
  const head = await provider.viewBlock({ finality: 'final' });
  const height = head.header.height;
  for (const asset of assets.list()) {
    let balance: bigint;
    if (asset.kind === 'native') {
      const view = await provider.viewAccount({
        accountId: treasuryAccountId,
        blockQuery: { blockId: height },
      });
      balance = BigInt(view.amount);
    } else {
      try {
        const raw = await provider.callFunction<string>({
          contractId: asset.contractId,
          method: 'ft_balance_of',
          args: { account_id: treasuryAccountId },
          blockQuery: { blockId: height },
        });
        balance = BigInt(raw ?? '0');
      } catch {
        continue; // token contract not deployed on this network: nothing to reconcile
      }
    }
    const baseline = await pool.query<{ balance: string; block_height: string }>(
      `SELECT balance::text AS balance, block_height::text AS block_height
       FROM ${S}.balance_baselines WHERE account_id = $1 AND asset = $2`,
      [treasuryAccountId, asset.symbol],
    );
    if (!baseline.rows[0]) {
      await pool.query(
        `INSERT INTO ${S}.balance_baselines (account_id, asset, balance, block_height)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [treasuryAccountId, asset.symbol, balance.toString(), height],
      );
      continue;
    }
    const from = baseline.rows[0].block_height;
    const paid = await pool.query<{ total: string | null }>(
      `SELECT sum(amount)::text AS total FROM ${S}.payouts
       WHERE treasury_account_id = $1 AND asset = $2 AND status = 'settled'
         AND settled_block_height > $3 AND settled_block_height <= $4`,
      [treasuryAccountId, asset.symbol, from, height],
    );
    let explained = BigInt(baseline.rows[0].balance) - BigInt(paid.rows[0].total ?? '0');
    if (asset.kind === 'native') {
      const included = await pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${S}.payout_transactions t
         JOIN ${S}.payouts p USING (payout_id)
         WHERE t.signer_account_id = $1 AND t.status IN ('settled', 'failed')
           AND coalesce(t.outcome_block_height, p.settled_block_height, $3 + 1) > $2`,
        [treasuryAccountId, from, height],
      );
      explained -= BigInt(included.rows[0].n) * NEAR_ALLOWANCE_PER_TRANSACTION;
    }
    if (balance < explained) {
      add(
        {
          kind: 'balance_mismatch',
          detail: `${asset.symbol} balance ${balance} at block ${height} is below the ${explained} the ledger explains (baseline at block ${from})`,
          lane: null,
          payoutId: null,
        },
        `balance:${asset.symbol}:${balance}:${explained}`,
      );
    }
  }
}
