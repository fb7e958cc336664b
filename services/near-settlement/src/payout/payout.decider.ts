// Commands and decide for the Payout aggregate — pure: time arrives on the command (`now`),
// chain facts (hashes, nonces, heights, proofs) arrive as data gathered by the lane worker.
import { PayoutError } from './payout.errors';
import {
  type DeathProof,
  type ExistingPayout,
  type PayoutEvent,
  type PayoutRequest,
  type PayoutState,
  liveTransaction,
} from './payout';

export * from './payout';
export { PayoutError } from './payout.errors';

interface At {
  /** ISO timestamp of the decision. */
  now: string;
}

export type PayoutCommand =
  | { type: 'RequestPayout'; data: PayoutRequest & At }
  | {
      type: 'RecordSignedTransaction';
      data: At & {
        txHash: string;
        signerPublicKey: string;
        nonce: string;
        blockHash: string;
        blockHeight: number;
      };
    }
  | { type: 'RecordBroadcast'; data: At & { txHash: string } }
  | {
      type: 'RecordOutcome';
      data: At & {
        txHash: string;
        /** Execution level the outcome was read at; only FINAL settles or fails. */
        finality: string;
        outcome:
          | { kind: 'success'; blockHash: string; blockHeight: number }
          | { kind: 'failure'; reason: string };
      };
    }
  | { type: 'RecordRejection'; data: At & { txHash: string; reason: string } }
  | { type: 'RecordDeadTransaction'; data: At & { txHash: string; proof: DeathProof } }
  | { type: 'FailPayout'; data: At & { reason: string } };

const sameRequest = (a: PayoutRequest, b: PayoutRequest): boolean =>
  a.payoutId === b.payoutId &&
  a.disbursementId === b.disbursementId &&
  a.attempt === b.attempt &&
  a.grantId === b.grantId &&
  a.tranche === b.tranche &&
  a.treasuryAccountId === b.treasuryAccountId &&
  a.receiver === b.receiver &&
  a.asset === b.asset &&
  a.amount === b.amount;

function requestPayout(
  command: Extract<PayoutCommand, { type: 'RequestPayout' }>,
  state: PayoutState,
): PayoutEvent[] {
  const { now, ...request } = command.data;
  if (!/^[1-9]\d*$/.test(request.amount)) {
    throw new PayoutError('payout_conflict', `amount ${request.amount} is not a positive integer`);
  }
  if (state.status === 'none') {
    return [{ type: 'PayoutRequested', data: { ...request, requestedAt: now } }];
  }
  if (sameRequest(state.request, request)) return []; // redelivered release: nothing new
  throw new PayoutError(
    'payout_conflict',
    `payout ${request.payoutId} was already requested with different terms`,
  );
}

function assertOpen(state: ExistingPayout): void {
  if (state.status === 'settled' || state.status === 'failed') {
    throw new PayoutError('payout_finished', `payout ${state.request.payoutId} is ${state.status}`);
  }
}

/** The live transaction, which must be `txHash`. */
function currentLive(state: ExistingPayout, txHash: string) {
  const live = liveTransaction(state);
  if (!live) {
    throw new PayoutError('no_live_transaction', 'the payout has no transaction that may land');
  }
  if (live.txHash !== txHash) {
    throw new PayoutError(
      'not_the_current_transaction',
      `${txHash} is not the payout's live transaction (${live.txHash})`,
    );
  }
  return live;
}

function recordSigned(
  command: Extract<PayoutCommand, { type: 'RecordSignedTransaction' }>,
  state: ExistingPayout,
): PayoutEvent[] {
  const { now, ...tx } = command.data;
  const known = state.transactions.find((t) => t.txHash === tx.txHash);
  if (known && known.txHash === state.current && known.status === 'signed') return [];
  assertOpen(state);
  const live = liveTransaction(state);
  if (live) {
    throw new PayoutError(
      'live_transaction_exists',
      `transaction ${live.txHash} may still land; a new one needs a proof that it cannot`,
    );
  }
  if (known) {
    throw new PayoutError('transaction_already_recorded', `${tx.txHash} was already used`);
  }
  if (
    state.transactions.some((t) => t.signerPublicKey === tx.signerPublicKey && t.nonce === tx.nonce)
  ) {
    throw new PayoutError('transaction_already_recorded', `nonce ${tx.nonce} was already used`);
  }
  return [
    {
      type: 'PayoutTransactionSigned',
      data: { payoutId: state.request.payoutId, ...tx, signedAt: now },
    },
  ];
}

function submitted(state: ExistingPayout, txHash: string, now: string): PayoutEvent {
  const tx = state.transactions.find((t) => t.txHash === txHash)!;
  const { payoutId, disbursementId, attempt, receiver, asset, amount } = state.request;
  return {
    type: 'PayoutSubmitted',
    data: {
      payoutId,
      disbursementId,
      attempt,
      txHash,
      signerPublicKey: tx.signerPublicKey,
      nonce: tx.nonce,
      receiver,
      asset,
      amount,
      submittedAt: now,
    },
  };
}

function recordBroadcast(
  command: Extract<PayoutCommand, { type: 'RecordBroadcast' }>,
  state: ExistingPayout,
): PayoutEvent[] {
  const { txHash, now } = command.data;
  if (state.status !== 'signed' && state.current === txHash) return []; // already submitted
  assertOpen(state);
  currentLive(state, txHash);
  return [submitted(state, txHash, now)];
}

function recordOutcome(
  command: Extract<PayoutCommand, { type: 'RecordOutcome' }>,
  state: ExistingPayout,
): PayoutEvent[] {
  const { txHash, now, outcome, finality } = command.data;
  const finished = state.status === 'settled' || state.status === 'failed';
  if (finished && state.current === txHash) {
    const same = (state.status === 'settled') === (outcome.kind === 'success');
    if (same) return [];
  }
  assertOpen(state);
  currentLive(state, txHash);
  if (finality !== 'FINAL') {
    throw new PayoutError('outcome_not_final', `outcome at ${finality} is not FINAL`);
  }
  const events: PayoutEvent[] = state.status === 'signed' ? [submitted(state, txHash, now)] : [];
  const { payoutId, disbursementId, attempt } = state.request;
  switch (outcome.kind) {
    case 'success':
      events.push({
        type: 'PayoutSettled',
        data: {
          payoutId,
          disbursementId,
          attempt,
          txHash,
          blockHash: outcome.blockHash,
          blockHeight: String(outcome.blockHeight),
          settledAt: now,
        },
      });
      return events;
    case 'failure':
      events.push({
        type: 'PayoutFailed',
        data: { payoutId, disbursementId, attempt, txHash, reason: outcome.reason, failedAt: now },
      });
      return events;
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(never)}`);
    }
  }
}

function recordRejection(
  command: Extract<PayoutCommand, { type: 'RecordRejection' }>,
  state: ExistingPayout,
): PayoutEvent[] {
  const { txHash, reason, now } = command.data;
  if (state.status === 'failed' && state.current === txHash) return [];
  assertOpen(state);
  currentLive(state, txHash);
  if (state.status !== 'signed') {
    // A resend of a submitted tx can be refused although the first send landed (notes §2.3).
    throw new PayoutError(
      'proof_insufficient',
      'a refused re-broadcast does not prove the submitted transaction failed',
    );
  }
  const { payoutId, disbursementId, attempt } = state.request;
  return [
    {
      type: 'PayoutFailed',
      data: { payoutId, disbursementId, attempt, txHash, reason, failedAt: now },
    },
  ];
}

/**
 * Checks the proof against what the ledger recorded for the transaction. Proven dead only when
 * it can never be included from now on (head past block height + validity period) AND never was
 * (the lane key's nonce at that head is still below the transaction's nonce). A passed nonce is
 * not a proof: the transaction may have landed and been forgotten by the node.
 */
function proofHolds(proof: DeathProof, tx: { nonce: string; blockHeight: number }): string | null {
  if (proof.chainKnowsTransaction !== false) return 'the chain knows the transaction';
  switch (proof.kind) {
    case 'expired':
      if (proof.txBlockHeight !== tx.blockHeight) return 'proof is about another block height';
      if (!Number.isInteger(proof.validityPeriod) || proof.validityPeriod < 1)
        return 'validity period must be a positive integer';
      if (!(proof.headHeight > proof.txBlockHeight + proof.validityPeriod))
        return `head ${proof.headHeight} is not past ${proof.txBlockHeight} + ${proof.validityPeriod}`;
      if (proof.txNonce !== tx.nonce) return 'proof is about another nonce';
      if (typeof proof.accessKeyNonce !== 'string' || !/^\d{1,20}$/.test(proof.accessKeyNonce))
        return 'the lane key nonce at the head is required';
      if (!(BigInt(proof.accessKeyNonce) < BigInt(tx.nonce)))
        return `access key nonce ${proof.accessKeyNonce} reached ${tx.nonce}: the transaction may have landed`;
      return null;
    case 'nonce_passed':
      return 'a passed nonce does not prove the transaction is dead (it may have landed and been forgotten)';
    default: {
      const never: never = proof;
      return `unknown proof ${JSON.stringify(never)}`;
    }
  }
}

function recordDead(
  command: Extract<PayoutCommand, { type: 'RecordDeadTransaction' }>,
  state: ExistingPayout,
): PayoutEvent[] {
  const { txHash, proof, now } = command.data;
  if (state.transactions.some((t) => t.txHash === txHash && t.status === 'dead')) return [];
  assertOpen(state);
  const live = currentLive(state, txHash);
  const problem = proofHolds(proof, live);
  if (problem) throw new PayoutError('proof_insufficient', problem);
  return [
    {
      type: 'PayoutTransactionDead',
      data: { payoutId: state.request.payoutId, txHash, proof, provenAt: now },
    },
  ];
}

function failPayout(
  command: Extract<PayoutCommand, { type: 'FailPayout' }>,
  state: ExistingPayout,
): PayoutEvent[] {
  if (state.status === 'failed') return [];
  assertOpen(state);
  const live = liveTransaction(state);
  if (live) {
    throw new PayoutError(
      'live_transaction_exists',
      `transaction ${live.txHash} may still land; the payout cannot fail without its outcome`,
    );
  }
  const { payoutId, disbursementId, attempt } = state.request;
  return [
    {
      type: 'PayoutFailed',
      data: {
        payoutId,
        disbursementId,
        attempt,
        txHash: null,
        reason: command.data.reason,
        failedAt: command.data.now,
      },
    },
  ];
}

export function decide(command: PayoutCommand, state: PayoutState): PayoutEvent[] {
  if (command.type === 'RequestPayout') return requestPayout(command, state);
  if (state.status === 'none') throw new PayoutError('payout_not_found', 'no such payout');
  switch (command.type) {
    case 'RecordSignedTransaction':
      return recordSigned(command, state);
    case 'RecordBroadcast':
      return recordBroadcast(command, state);
    case 'RecordOutcome':
      return recordOutcome(command, state);
    case 'RecordRejection':
      return recordRejection(command, state);
    case 'RecordDeadTransaction':
      return recordDead(command, state);
    case 'FailPayout':
      return failPayout(command, state);
    default: {
      const never: never = command;
      throw new Error(`unknown payout command ${JSON.stringify(never)}`);
    }
  }
}
