import type { JsonRpcProvider } from 'near-api-js';
import type { Pool } from 'pg';
import {
  broadcastSignedTransaction,
  buildSignedTransaction,
  fungibleTokenPayoutActions,
  getTransactionStatus,
  nativeTransferActions,
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drives one payout on one lane to its end (DESIGN.md §5 steps 2–7): sign and store before any
 * send; broadcast the stored bytes; on a timeout or lost connection re-broadcast the same bytes
 * and poll `tx`; declare a transaction dead only on proof, then sign anew in the same attempt.
 */
export class PayoutDriver {
  private readonly storageMin = new Map<string, bigint>();
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
        if (refusal && !submitted && REFUSED[refusal.code]) {
          // Refused before inclusion; confirm the chain does not know it from an earlier send.
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
        const proof = await this.proveDead(lane, tx, shouldStop);
        if (proof) {
          const again = await this.status(tx.tx_hash, tx.signer_account_id, shouldStop);
          if (again.kind === 'unknown') {
            await ledger.recordDead(payout, tx.tx_hash, proof, this.now());
            return; // the payout is `requested` again: drive() signs a new transaction
          }
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

  /** A proof that the transaction can never land, or null (DESIGN.md §5 step 5). */
  private async proveDead(
    lane: SignerLane,
    tx: { nonce: string; block_height: string },
    shouldStop: () => boolean,
  ): Promise<DeathProof | null> {
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
    if (head.header.height > txBlockHeight + this.validityPeriod) {
      return {
        kind: 'expired',
        txBlockHeight,
        headHeight: head.header.height,
        validityPeriod: this.validityPeriod,
        chainKnowsTransaction: false,
      };
    }
    const key = await this.rpc(
      () => viewAccessKey(provider, lane.accountId, lane.publicKey, 'final'),
      shouldStop,
    );
    if (key && key.nonce >= BigInt(tx.nonce)) {
      return {
        kind: 'nonce_passed',
        txNonce: tx.nonce,
        accessKeyNonce: key.nonce.toString(),
        chainKnowsTransaction: false,
      };
    }
    return null;
  }
}

/** The chain's reason for refusing a transaction, as text for PayoutFailed. */
function reasonOf(error: NearRpcError): string {
  const name = REFUSED[error.code] ?? error.code;
  const details = Object.keys(error.details).length > 0 ? ` ${JSON.stringify(error.details)}` : '';
  return `${name}${details}: ${error.message}`.slice(0, 2000);
}
