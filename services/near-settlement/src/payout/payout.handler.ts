import { createHash, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import {
  handleCommand,
  StreamVersionConflictError,
  type PostgresEventStore,
} from '@lib/event-store';
import type { SignedTransactionRecord } from '@lib/near';
import { withTransaction } from '@lib/platform';
import {
  decide,
  evolve,
  initialState,
  payoutStreamId,
  type DeathProof,
  type ExistingPayout,
  type PayoutCommand,
  type PayoutEvent,
  type PayoutRequest,
  type PayoutState,
} from './payout.decider';

const S = 'near_settlement';
const ACTOR = 'near-settlement';

/** A payouts row as the lane worker reads it. */
export interface PayoutRow {
  payout_id: string;
  disbursement_id: string;
  attempt: number;
  status: string;
  lane: string | null;
  treasury_account_id: string;
  receiver: string;
  asset: string;
  amount: string;
  current_tx_hash: string | null;
  correlation_id: string;
  causation_id: string | null;
}

/** A payout_transactions row. */
export interface PayoutTransactionRow {
  tx_hash: string;
  payout_id: string;
  signer_account_id: string;
  signer_public_key: string;
  nonce: string;
  block_hash: string;
  block_height: string;
  receiver_id: string;
  signed_tx_base64: string;
  status: string;
}

/** A unique-key violation (another writer used the nonce, or the payout already has a live tx). */
export const isUniqueViolation = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '23505';

/**
 * The Payout write path: decide → append to `payout-<id>` → mirror into the ledger tables, all in
 * ONE database transaction, so the stream (which the relay publishes) and the ledger never differ.
 */
export class PayoutLedger {
  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
  ) {}

  /** Decides `command` on the payout's stream inside `client`'s transaction and mirrors the events. */
  async execute(
    client: PoolClient,
    payoutId: string,
    command: PayoutCommand,
    trace: { correlationId: string; causationId?: string | null },
  ): Promise<{ state: PayoutState; events: PayoutEvent[] }> {
    const result = await handleCommand<PayoutCommand, PayoutState, PayoutEvent>(this.store, {
      streamId: payoutStreamId(payoutId),
      decide,
      evolve,
      initialState,
      command,
      metadata: {
        correlationId: trace.correlationId,
        causationId: trace.causationId ?? null,
        actor: ACTOR,
        occurredAt: new Date(command.data.now),
      },
      newEventId: randomUUID,
      client,
    });
    const events = result.newEvents as unknown as PayoutEvent[];
    for (const event of events) await this.mirror(client, event);
    return { state: result.state, events };
  }

  /** The ledger rows an event changes (inserts of payouts/transactions are done by their callers). */
  private async mirror(client: PoolClient, event: PayoutEvent): Promise<void> {
    switch (event.type) {
      case 'PayoutRequested':
      case 'PayoutTransactionSigned':
        return; // rows written by request() / recordSigned() with what the event does not carry
      case 'PayoutSubmitted':
        await client.query(
          `UPDATE ${S}.payout_transactions SET status = 'broadcast', updated_at = now() WHERE tx_hash = $1`,
          [event.data.txHash],
        );
        await client.query(`UPDATE ${S}.payouts SET status = 'broadcast' WHERE payout_id = $1`, [
          event.data.payoutId,
        ]);
        return;
      case 'PayoutTransactionDead':
        await client.query(
          `UPDATE ${S}.payout_transactions SET status = 'dead', death_proof = $2, updated_at = now()
           WHERE tx_hash = $1`,
          [event.data.txHash, JSON.stringify(event.data.proof)],
        );
        await client.query(
          `UPDATE ${S}.payouts SET status = 'requested', current_tx_hash = NULL WHERE payout_id = $1`,
          [event.data.payoutId],
        );
        return;
      case 'PayoutSettled':
        await client.query(
          `UPDATE ${S}.payout_transactions SET status = 'settled', outcome_block_hash = $2,
             outcome_block_height = $3, updated_at = now() WHERE tx_hash = $1`,
          [event.data.txHash, event.data.blockHash, event.data.blockHeight],
        );
        await client.query(
          `UPDATE ${S}.payouts SET status = 'settled', settled_block_hash = $2,
             settled_block_height = $3, finished_at = now() WHERE payout_id = $1`,
          [event.data.payoutId, event.data.blockHash, event.data.blockHeight],
        );
        return;
      case 'PayoutFailed':
        if (event.data.txHash) {
          await client.query(
            `UPDATE ${S}.payout_transactions SET status = 'failed', failure_reason = $2,
               updated_at = now() WHERE tx_hash = $1`,
            [event.data.txHash, event.data.reason],
          );
        }
        await client.query(
          `UPDATE ${S}.payouts SET status = 'failed', failure_reason = $2, finished_at = now()
           WHERE payout_id = $1`,
          [event.data.payoutId, event.data.reason],
        );
        return;
      default: {
        const never: never = event;
        throw new Error(`unmirrored payout event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Records a released disbursement as a payout (in the caller's inbox transaction). */
  async request(
    client: PoolClient,
    request: PayoutRequest,
    at: { releasedAt: string; now: string },
    trace: { correlationId: string; causationId: string },
  ): Promise<PayoutEvent[]> {
    const { events } = await this.execute(
      client,
      request.payoutId,
      { type: 'RequestPayout', data: { ...request, now: at.now } },
      trace,
    );
    if (events.length > 0) {
      await client.query(
        `INSERT INTO ${S}.payouts (payout_id, disbursement_id, attempt, grant_id, tranche,
           treasury_account_id, receiver, asset, amount, status, released_at, correlation_id, causation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10, $11, $12)`,
        [
          request.payoutId,
          request.disbursementId,
          request.attempt,
          request.grantId,
          request.tranche,
          request.treasuryAccountId,
          request.receiver,
          request.asset,
          request.amount,
          at.releasedAt,
          trace.correlationId,
          trace.causationId,
        ],
      );
    }
    return events;
  }

  /**
   * Stores a signed transaction BEFORE it is sent: the bytes, hash, key, nonce and block, and the
   * lane's new highest nonce (which must rise: a lower or equal one means another writer).
   */
  async recordSigned(
    payout: PayoutRow,
    lane: { accountId: string; publicKey: string },
    receiverId: string,
    record: SignedTransactionRecord,
    now: string,
  ): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      const raised = await client.query(
        `UPDATE ${S}.signer_lanes SET last_nonce = $2, updated_at = now()
         WHERE public_key = $1 AND last_nonce < $2`,
        [lane.publicKey, record.nonce.toString()],
      );
      if (raised.rowCount !== 1) {
        throw Object.assign(
          new Error(`lane ${lane.publicKey} already used nonce ${record.nonce}`),
          {
            code: '23505',
          },
        );
      }
      await this.execute(
        client,
        payout.payout_id,
        {
          type: 'RecordSignedTransaction',
          data: {
            txHash: record.hash,
            signerPublicKey: lane.publicKey,
            nonce: record.nonce.toString(),
            blockHash: record.blockHash,
            blockHeight: record.blockHeight,
            now,
          },
        },
        traceOf(payout),
      );
      await client.query(
        `INSERT INTO ${S}.payout_transactions (tx_hash, payout_id, signer_account_id,
           signer_public_key, nonce, block_hash, block_height, receiver_id, signed_tx_base64, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'signed')`,
        [
          record.hash,
          payout.payout_id,
          lane.accountId,
          lane.publicKey,
          record.nonce.toString(),
          record.blockHash,
          record.blockHeight,
          receiverId,
          record.signedTxBase64,
        ],
      );
      await client.query(
        `UPDATE ${S}.payouts SET status = 'signed', current_tx_hash = $2 WHERE payout_id = $1`,
        [payout.payout_id, record.hash],
      );
    });
  }

  /** Runs one command on its own transaction. */
  async run(payout: PayoutRow, command: PayoutCommand): Promise<PayoutEvent[]> {
    return withTransaction(
      this.pool,
      async (client) =>
        (await this.execute(client, payout.payout_id, command, traceOf(payout))).events,
    );
  }

  recordBroadcast(payout: PayoutRow, txHash: string, now: string) {
    return this.run(payout, { type: 'RecordBroadcast', data: { txHash, now } });
  }

  recordDead(payout: PayoutRow, txHash: string, proof: DeathProof, now: string) {
    return this.run(payout, { type: 'RecordDeadTransaction', data: { txHash, proof, now } });
  }

  /**
   * Appends a `ReconciliationDiscrepancyFound` (kind `outcome_mismatch`) for a payout transaction
   * whose fate cannot be proven (the lane key's nonce passed it while `tx` does not know it): the
   * relay publishes it and disbursements pauses. One discrepancy per transaction (a stable id), so
   * reporting it again is a no-op. Returns whether it was newly reported.
   */
  async recordUnprovable(
    payout: PayoutRow,
    tx: { tx_hash: string; signer_public_key: string },
    detail: string,
    now: string,
  ): Promise<boolean> {
    const h = createHash('sha256')
      .update(`${payout.treasury_account_id}:unprovable:${tx.tx_hash}`)
      .digest('hex');
    const discrepancyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    try {
      const appended = await this.store.append(`reconciliation-${discrepancyId}`, 0, [
        {
          eventId: discrepancyId,
          type: 'ReconciliationDiscrepancyFound',
          data: {
            discrepancyId,
            kind: 'outcome_mismatch',
            detail: detail.slice(0, 2000),
            lane: tx.signer_public_key,
            payoutId: payout.payout_id,
            foundAt: now,
          },
          metadata: {
            correlationId: payout.correlation_id,
            causationId: payout.causation_id,
            actor: ACTOR,
            occurredAt: new Date(now),
          },
        },
      ]);
      return !appended.alreadyAppended;
    } catch (error) {
      if (error instanceof StreamVersionConflictError) return false;
      throw error;
    }
  }

  recordRejection(payout: PayoutRow, txHash: string, reason: string, now: string) {
    return this.run(payout, { type: 'RecordRejection', data: { txHash, reason, now } });
  }

  fail(payout: PayoutRow, reason: string, now: string) {
    return this.run(payout, { type: 'FailPayout', data: { reason, now } });
  }

  recordOutcome(
    payout: PayoutRow,
    txHash: string,
    outcome: Extract<PayoutCommand, { type: 'RecordOutcome' }>['data']['outcome'],
    now: string,
  ) {
    return this.run(payout, {
      type: 'RecordOutcome',
      data: { txHash, finality: 'FINAL', outcome, now },
    });
  }

  /** The payout as its stream says (authoritative). */
  async load(payoutId: string): Promise<PayoutState> {
    const events = await this.store.readStream(payoutStreamId(payoutId));
    return events.reduce<PayoutState>(
      (state, event) => evolve(state, event as unknown as PayoutEvent),
      initialState(),
    );
  }

  async transactionRow(txHash: string): Promise<PayoutTransactionRow | undefined> {
    const { rows } = await this.pool.query<PayoutTransactionRow>(
      `SELECT tx_hash, payout_id, signer_account_id, signer_public_key, nonce::text AS nonce,
              block_hash, block_height::text AS block_height, receiver_id, signed_tx_base64, status
       FROM ${S}.payout_transactions WHERE tx_hash = $1`,
      [txHash],
    );
    return rows[0];
  }
}

const traceOf = (payout: PayoutRow) => ({
  correlationId: payout.correlation_id,
  causationId: payout.causation_id,
});

export type { ExistingPayout };
