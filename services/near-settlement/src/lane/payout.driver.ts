import type { JsonRpcProvider } from 'near-api-js';
import type { Pool } from 'pg';
import {
  broadcastSignedTransaction,
  buildSignedTransaction,
  fungibleTokenPayoutActions,
  getTransactionStatus,
  nativeTransferActions,
  classifyNearRpcError,
  NearRpcError,
  viewAccessKey,
  viewStorageBalanceBounds,
  type AssetRegistry,
  type NearRpcErrorCode,
  type TransactionStatus,
} from '@lib/near';
import type { CrashHook } from '../crash-injection';
import type { DeathProof } from '../payout/payout';
import { isUniqueViolation, type PayoutLedger, type PayoutRow } from '../payout/payout.handler';
import type { SignerLane } from './signer-lanes.config';

const S = 'near_settlement';

/** Refusals at send time that prove this request did not include the tx: the payout fails. */
const REFUSED: Partial<Record<NearRpcErrorCode, string>> = {
  not_enough_balance: 'NotEnoughBalance',
  signer_does_not_exist: 'SignerDoesNotExist',
  access_key_not_found: 'InvalidAccessKeyError',
  access_key_permission: 'InvalidAccessKeyError',
  invalid_signature: 'InvalidSignature',
  invalid_transaction: 'InvalidTransaction',
};

export interface PayoutDriverOptions {
  pool: Pool;
  ledger: PayoutLedger;
  provider: JsonRpcProvider;
  assets: AssetRegistry;
  crash: CrashHook;
  pollMs: number;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  clock?: () => Date;
}

class Stopped extends Error {}

/** What the chain proves about a transaction `tx` does not know (DESIGN.md §5 step 5). */
type Verdict =
  /** It can never land and never did: a new transaction may be signed in the same attempt. */
  | { kind: 'dead'; proof: DeathProof }
  /** It may still land (inside its validity period): keep re-sending the same bytes. */
  | { kind: 'alive' }
  /** Expired, but the key's nonce reached it: it may have landed and been forgotten. Never re-sign. */
  | { kind: 'unprovable'; detail: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drives one payout on one lane to its end (DESIGN.md §5 steps 2–7): sign and store before any
 * send; broadcast the stored bytes; on a timeout or lost connection re-broadcast the same bytes
 * and poll `tx`; declare a transaction dead only on proof, then sign anew in the same attempt.
 */
export class PayoutDriver {
  private readonly storageMin = new Map<string, bigint>();
  /**
   * Transactions this process signed and stored and has not tried to send yet. Only for these is
   * a refusal at send time definitive; any other `signed` transaction (resumed after a crash or a
   * lost lane lock) may already have been broadcast by an earlier run (fix: audit "refusal after a
   * possible send"), so a refusal of its resend proves nothing.
   */
  private readonly neverSent = new Set<string>();
  private validityPeriod?: number;

  constructor(private readonly options: PayoutDriverOptions) {}

  private now(): string {
    return (this.options.clock?.() ?? new Date()).toISOString();
  }

  /** Runs until the payout is settled or failed, or `shouldStop()` (it then stays resumable). */
  async drive(lane: SignerLane, payoutId: string, shouldStop: () => boolean): Promise<void> {
    try {
      for (;;) {
        if (shouldStop()) return;
        const payout = await this.row(payoutId);
        if (!payout || payout.status === 'settled' || payout.status === 'failed') return;
        if (payout.status === 'requested') await this.sign(lane, payout, shouldStop);
        else await this.settle(lane, payout, shouldStop);
      }
    } catch (error) {
      if (error instanceof Stopped) return;
      throw error;
    }
  }

  private async row(payoutId: string): Promise<PayoutRow | undefined> {
    const { rows } = await this.options.pool.query<PayoutRow>(
      `SELECT payout_id, disbursement_id, attempt, status, lane, treasury_account_id, receiver,
              asset, amount::text AS amount, current_tx_hash, correlation_id, causation_id
       FROM ${S}.payouts WHERE payout_id = $1`,
      [payoutId],
    );
    return rows[0];
  }

  /** Retries a read-only RPC call until it answers (the payout waits; nothing is decided on a guess). */
  private async rpc<T>(
    read: () => Promise<T>,
    shouldStop: () => boolean = () => false,
  ): Promise<T> {
    for (;;) {
      try {
        return await read();
      } catch (error) {
        if (shouldStop()) throw new Stopped();
        this.options.log.warn({ err: String(error) }, 'NEAR RPC call failed; retrying');
        await sleep(this.options.pollMs);
      }
    }
  }

  private async sign(
    lane: SignerLane,
    payout: PayoutRow,
    shouldStop: () => boolean,
  ): Promise<void> {
    const { assets, provider, ledger, crash } = this.options;
    // Never a second payment of one disbursement, whatever attempt asks for it.
    const paid = await this.options.pool.query<{ attempt: number; current_tx_hash: string }>(
      `SELECT attempt, current_tx_hash FROM ${S}.payouts
       WHERE disbursement_id = $1 AND payout_id <> $2 AND status = 'settled' LIMIT 1`,
      [payout.disbursement_id, payout.payout_id],
    );
    if (paid.rows[0]) {
      const { attempt, current_tx_hash: hash } = paid.rows[0];
      await ledger.fail(
        payout,
        `disbursement ${payout.disbursement_id} was already paid by attempt ${attempt} (transaction ${hash}); not paying it again`,
        this.now(),
      );
      return;
    }
    const asset = assets.find(payout.asset);
    if (!asset) {
      await ledger.fail(
        payout,
        `asset ${payout.asset} is not configured on this network`,
        this.now(),
      );
      return;
    }
    const amount = BigInt(payout.amount);
    let receiverId: string;
    let actions;
    if (asset.kind === 'native') {
      receiverId = payout.receiver;
      actions = nativeTransferActions(amount);
    } else {
      receiverId = asset.contractId;
      let min = this.storageMin.get(asset.contractId);
      if (min === undefined) {
        min = (
          await this.rpc(() => viewStorageBalanceBounds(provider, asset.contractId), shouldStop)
        ).min;
        this.storageMin.set(asset.contractId, min);
      }
      actions = fungibleTokenPayoutActions({
        receiverId: payout.receiver,
        amount,
        storageDepositYocto: min,
        memo: `payout:${payout.payout_id}`,
      });
    }
    const nonce = await this.nextNonce(lane, shouldStop);
    const record = await this.rpc(
      () =>
        buildSignedTransaction({
          provider,
          signer: lane.signer,
          signerId: lane.accountId,
          receiverId,
          actions,
          nonce,
        }),
      shouldStop,
    );
    crash.at('after-sign');
    if (shouldStop()) return; // lock lost or stopping: the unsent bytes are simply dropped
    try {
      await ledger.recordSigned(payout, lane, receiverId, record, this.now());
    } catch (error) {
      // The bytes were never sent: dropping them is safe; the next round picks a fresh nonce.
      if (isUniqueViolation(error)) {
        this.options.log.warn(
          { lane: lane.publicKey, nonce: String(nonce) },
          'nonce taken; re-signing',
        );
        return;
      }
      throw error;
    }
    this.neverSent.add(record.hash);
    crash.at('after-store');
  }

  /** Above both the ledger's highest nonce for the lane and the key's nonce on chain. */
  private async nextNonce(lane: SignerLane, shouldStop: () => boolean): Promise<bigint> {
    const { rows } = await this.options.pool.query<{ last_nonce: string }>(
      `SELECT last_nonce::text AS last_nonce FROM ${S}.signer_lanes WHERE public_key = $1`,
      [lane.publicKey],
    );
    const ledgerNonce = BigInt(rows[0]?.last_nonce ?? '0');
    const key = await this.rpc(
      () => viewAccessKey(this.options.provider, lane.accountId, lane.publicKey, 'final'),
      shouldStop,
    );
    const chainNonce = key?.nonce ?? 0n;
    return (chainNonce > ledgerNonce ? chainNonce : ledgerNonce) + 1n;
  }

  private async settle(
    lane: SignerLane,
    payout: PayoutRow,
    shouldStop: () => boolean,
  ): Promise<void> {
    const { ledger, provider, crash, pollMs } = this.options;
    const tx = await ledger.transactionRow(payout.current_tx_hash!);
    if (!tx)
      throw new Error(`payout ${payout.payout_id}: current transaction is not in the ledger`);
    let submitted = payout.status === 'broadcast';
    let send = !submitted;
    // Whether an earlier send of these bytes may exist (then a refusal is not definitive).
    let possiblySent = payout.status !== 'signed' || !this.neverSent.delete(tx.tx_hash);
    let reported = false;
    for (;;) {
      if (shouldStop()) throw new Stopped();
      if (send) {
        send = false;
        let refusal: NearRpcError | undefined;
        try {
          await broadcastSignedTransaction(provider, tx.signed_tx_base64, 'INCLUDED');
        } catch (error) {
          const e = error instanceof NearRpcError ? error : undefined;
          if (e && !e.mayHaveLanded) refusal = e;
        }
        crash.at('after-broadcast');
        const definitive = refusal && !possiblySent && REFUSED[refusal.code];
        possiblySent = true;
        if (refusal && definitive) {
          // The first send ever of freshly signed bytes was refused: it was not included.
          const status = await this.rpc(() =>
            getTransactionStatus(provider, tx.tx_hash, tx.signer_account_id, 'NONE'),
          );
          if (status.kind === 'unknown') {
            await ledger.recordRejection(payout, tx.tx_hash, reasonOf(refusal), this.now());
            return;
          }
        }
        if (!submitted && !refusal) {
          await ledger.recordBroadcast(payout, tx.tx_hash, this.now());
          submitted = true;
        }
        if (refusal && !['invalid_nonce', 'expired'].includes(refusal.code)) await sleep(pollMs);
      }
      const status = await this.status(tx.tx_hash, tx.signer_account_id, shouldStop);
      if (status.kind === 'success' || status.kind === 'failure') {
        if (status.outcome.final_execution_status !== 'FINAL') {
          // Known, not final yet: let the node wait for FINAL (a 408 just means ask again).
          await getTransactionStatus(provider, tx.tx_hash, tx.signer_account_id, 'FINAL').catch(
            () => sleep(pollMs),
          );
          continue;
        }
        crash.at('after-outcome');
        crash.finished(payout.payout_id);
        if (status.kind === 'success') {
          const blockHash = status.outcome.transaction_outcome?.block_hash ?? '';
          const block = await this.rpc(
            () => provider.viewBlock({ blockId: blockHash }),
            shouldStop,
          );
          await ledger.recordOutcome(
            payout,
            tx.tx_hash,
            { kind: 'success', blockHash, blockHeight: block.header.height },
            this.now(),
          );
        } else {
          await ledger.recordOutcome(
            payout,
            tx.tx_hash,
            { kind: 'failure', reason: status.reason },
            this.now(),
          );
        }
        return;
      }
      if (status.kind === 'unknown') {
        const verdict = await this.proveDead(lane, tx, shouldStop);
        if (verdict.kind === 'dead') {
          const again = await this.status(tx.tx_hash, tx.signer_account_id, shouldStop);
          if (again.kind === 'unknown') {
            await ledger.recordDead(payout, tx.tx_hash, verdict.proof, this.now());
            return; // the payout is `requested` again: drive() signs a new transaction
          }
          continue;
        }
        if (verdict.kind === 'unprovable') {
          // Never re-sign: it may have landed. The payout stays unresolved for an operator;
          // disbursements pauses on the discrepancy. Keep asking `tx` (a node may still know it).
          if (!reported) {
            reported = true;
            this.options.log.error(
              { payoutId: payout.payout_id, txHash: tx.tx_hash, lane: lane.publicKey },
              verdict.detail,
            );
            await ledger.recordUnprovable(payout, tx, verdict.detail, this.now());
          }
          await sleep(pollMs);
          continue;
        }
        // Not provably dead: it may be in flight, or the send was lost. Same bytes again.
        send = true;
      }
      await sleep(pollMs);
    }
  }

  private status(
    hash: string,
    signerId: string,
    shouldStop: () => boolean,
  ): Promise<TransactionStatus> {
    return this.rpc(
      () => getTransactionStatus(this.options.provider, hash, signerId, 'NONE'),
      shouldStop,
    );
  }

  /**
   * A proof that the transaction can never land and never did (DESIGN.md §5 step 5): the final
   * head is past its block height + validity period (it can no longer be included) AND the lane
   * key's nonce read AT THAT HEAD is below the transaction's nonce (it was never included: an
   * included transaction sets the key's nonce to its own). The caller has just seen `tx` answer
   * UNKNOWN. A nonce at or past ours is no proof: nodes forget old transactions.
   */
  private async proveDead(
    lane: SignerLane,
    tx: { nonce: string; block_height: string },
    shouldStop: () => boolean,
  ): Promise<Verdict> {
    const { provider } = this.options;
    if (this.validityPeriod === undefined) {
      const config = await this.rpc(
        () => provider.experimental_protocolConfig({ finality: 'final' }),
        shouldStop,
      );
      this.validityPeriod = Number(
        (config as unknown as { transaction_validity_period: number }).transaction_validity_period,
      );
    }
    const head = await this.rpc(() => provider.viewBlock({ finality: 'final' }), shouldStop);
    const txBlockHeight = Number(tx.block_height);
    const headHeight = head.header.height;
    if (!(headHeight > txBlockHeight + this.validityPeriod)) return { kind: 'alive' };
    const keyNonce = await this.rpc(() => this.keyNonceAt(lane, headHeight), shouldStop);
    const txNonce = BigInt(tx.nonce);
    if (keyNonce !== null && keyNonce < txNonce) {
      return {
        kind: 'dead',
        proof: {
          kind: 'expired',
          txBlockHeight,
          headHeight,
          validityPeriod: this.validityPeriod,
          txNonce: tx.nonce,
          accessKeyNonce: keyNonce.toString(),
          chainKnowsTransaction: false,
        },
      };
    }
    return {
      kind: 'unprovable',
      detail:
        keyNonce === null
          ? `transaction (nonce ${tx.nonce}) expired at block ${headHeight} and is unknown to tx, but lane key ${lane.publicKey} no longer exists: cannot prove it never landed; not re-signing (operator)`
          : `transaction (nonce ${tx.nonce}) expired at block ${headHeight} and is unknown to tx, but lane key ${lane.publicKey} nonce there is ${keyNonce}: it may have landed and been forgotten by the node, or another signer uses the key; not re-signing (operator)`,
    };
  }

  /** The lane key's nonce at block `height`, or null when the key (or account) does not exist. */
  private async keyNonceAt(lane: SignerLane, height: number): Promise<bigint | null> {
    try {
      const view = await this.options.provider.query<{ nonce: number | string | bigint }>({
        request_type: 'view_access_key',
        block_id: height,
        account_id: lane.accountId,
        public_key: lane.publicKey,
      });
      return BigInt(view.nonce);
    } catch (error) {
      const e = classifyNearRpcError(error);
      if (e.code === 'unknown_access_key' || e.code === 'unknown_account') return null;
      throw e;
    }
  }
}

/** The chain's reason for refusing a transaction, as text for PayoutFailed. */
function reasonOf(error: NearRpcError): string {
  const name = REFUSED[error.code] ?? error.code;
  const details = Object.keys(error.details).length > 0 ? ` ${JSON.stringify(error.details)}` : '';
  return `${name}${details}: ${error.message}`.slice(0, 2000);
}
