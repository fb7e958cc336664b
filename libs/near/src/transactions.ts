import { createHash } from 'node:crypto';
import {
  actions,
  base64Encode,
  baseDecode,
  baseEncode,
  createTransaction,
  type Action,
  type JsonRpcProvider,
  type PublicKey,
  type Signer,
  type SignedTransaction,
  type TxExecutionStatus,
} from 'near-api-js';
import { classifyNearRpcError } from './rpc-error';

/** Gas attached to each NEP-141 function call of a payout (30 TGas, the common wallet default). */
export const FT_CALL_GAS = 30_000_000_000_000n;
/** `ft_transfer` requires exactly one yoctoNEAR attached (NEP-141). */
export const ONE_YOCTO = 1n;

/** Where a transaction's block hash is read from; defaults to the `final` block like near-api-js. */
export type BlockReferenceInput =
  { finality: 'final' | 'optimistic' | 'near-final' } | { blockId: number | string };

/** What the settlement service persists before any network call. */
export interface SignedTransactionRecord {
  /** base58 sha256 of the borsh transaction — what RPC and explorers show. */
  hash: string;
  /** The exact signed bytes to (re)broadcast, base64. */
  signedTxBase64: string;
  nonce: bigint;
  /** base58 hash of the block the tx references (its expiry clock starts there). */
  blockHash: string;
  blockHeight: number;
}

/** The actions of a native NEAR payout: one Transfer. */
export function nativeTransferActions(amountYocto: bigint): Action[] {
  if (amountYocto <= 0n) throw new RangeError('transfer amount must be positive');
  return [actions.transfer(amountYocto)];
}

/**
 * The actions of a NEP-141 payout, sent as ONE transaction to the token contract:
 * `storage_deposit({account_id, registration_only: true})` with the contract's minimum storage
 * balance (refunded in full when the receiver is already registered), then
 * `ft_transfer({receiver_id, amount, memo})` with exactly 1 yoctoNEAR. Both run in one receipt,
 * so they succeed or fail together.
 */
export function fungibleTokenPayoutActions(options: {
  receiverId: string;
  amount: bigint;
  /** `storage_balance_bounds().min` of the token contract, in yoctoNEAR. */
  storageDepositYocto: bigint;
  memo?: string;
  gasPerCall?: bigint;
}): Action[] {
  if (options.amount <= 0n) throw new RangeError('token amount must be positive');
  if (options.storageDepositYocto < 0n)
    throw new RangeError('storage deposit must not be negative');
  const gas = options.gasPerCall ?? FT_CALL_GAS;
  const transferArgs: Record<string, string> = {
    receiver_id: options.receiverId,
    amount: options.amount.toString(),
  };
  if (options.memo !== undefined) transferArgs.memo = options.memo;
  return [
    actions.functionCall(
      'storage_deposit',
      { account_id: options.receiverId, registration_only: true },
      gas,
      options.storageDepositYocto,
    ),
    actions.functionCall('ft_transfer', transferArgs, gas, ONE_YOCTO),
  ];
}

/** sha256 of the borsh-encoded transaction inside signed bytes, base58 (the NEAR tx hash). */
export function transactionHashOf(signedTransaction: SignedTransaction): string {
  const txBytes = signedTransaction.transaction.encode();
  return baseEncode(createHash('sha256').update(txBytes).digest());
}

/**
 * Builds and signs a transaction WITHOUT sending it. The nonce is the caller's (the payout ledger
 * knows the last one it used) or else the access key's nonce + 1, read at `final`.
 */
export async function buildSignedTransaction(options: {
  provider: JsonRpcProvider;
  signer: Signer;
  signerId: string;
  receiverId: string;
  actions: Action[];
  nonce?: bigint;
  blockReference?: BlockReferenceInput;
}): Promise<SignedTransactionRecord> {
  const { provider, signer, signerId, receiverId } = options;
  const publicKey: PublicKey = await signer.getPublicKey();
  try {
    const nonce =
      options.nonce ??
      (
        await provider.viewAccessKey({
          accountId: signerId,
          publicKey,
          finalityQuery: { finality: 'final' },
        })
      ).nonce + 1n;
    if (nonce <= 0n) throw new RangeError('nonce must be positive');
    const block = await provider.viewBlock(options.blockReference ?? { finality: 'final' });
    const tx = createTransaction(
      signerId,
      publicKey,
      receiverId,
      nonce,
      options.actions,
      baseDecode(block.header.hash),
    );
    const { txHash, signedTransaction } = await signer.signTransaction(tx);
    return {
      hash: baseEncode(txHash),
      signedTxBase64: base64Encode(signedTransaction.encode()),
      nonce,
      blockHash: block.header.hash,
      blockHeight: block.header.height,
    };
  } catch (err) {
    if (err instanceof RangeError) throw err;
    throw classifyNearRpcError(err);
  }
}

/** A FinalExecutionOutcomeView as nearcore returns it (fields this library reads are typed). */
export interface NearExecutionOutcome {
  final_execution_status: TxExecutionStatus;
  status?: 'NotStarted' | 'Started' | { SuccessValue: string } | { Failure: unknown };
  transaction?: { hash: string; signer_id: string; receiver_id: string; nonce: number };
  transaction_outcome?: {
    id: string;
    block_hash: string;
    outcome: { tokens_burnt: string; gas_burnt: number };
  };
  receipts_outcome?: {
    id: string;
    block_hash: string;
    outcome: {
      executor_id: string;
      logs: string[];
      tokens_burnt: string;
      gas_burnt: number;
      status: unknown;
    };
  }[];
}

/** What the chain says about a transaction. */
export type TransactionStatus =
  | { kind: 'success'; outcome: NearExecutionOutcome }
  | { kind: 'failure'; reason: string; outcome: NearExecutionOutcome }
  /** The node does not know the tx (not landed yet, never will, or garbage-collected). */
  | { kind: 'unknown' }
  /** Known but not yet executed to the requested level. */
  | { kind: 'pending'; outcome?: NearExecutionOutcome };

/**
 * Human-readable reason of an on-chain failure: the contract's panic message for
 * FunctionCallError.ExecutionError, else `<Kind>: <json>` of the TxExecutionError.
 */
export function failureReason(failure: unknown): string {
  const actionError = (failure as { ActionError?: { kind?: unknown } } | null)?.ActionError;
  const kind = actionError?.kind;
  if (kind && typeof kind === 'object') {
    const functionCall = (kind as { FunctionCallError?: unknown }).FunctionCallError;
    if (functionCall && typeof functionCall === 'object' && 'ExecutionError' in functionCall) {
      return String(functionCall.ExecutionError);
    }
    const entries: [string, unknown][] = Object.entries(kind as Record<string, unknown>);
    const [name, detail] = entries[0] ?? ['ActionError', {}];
    return `${name}: ${JSON.stringify(detail)}`;
  }
  if (typeof kind === 'string') return kind;
  return JSON.stringify(failure);
}

/** Classifies an outcome returned by `send_tx` or `tx`. */
export function classifyOutcome(outcome: NearExecutionOutcome): TransactionStatus {
  const status = outcome.status;
  if (status && typeof status === 'object') {
    if ('SuccessValue' in status) return { kind: 'success', outcome };
    if ('Failure' in status)
      return { kind: 'failure', reason: failureReason(status.Failure), outcome };
  }
  return { kind: 'pending', outcome };
}

/**
 * Sends the exact stored bytes with `send_tx`. Returns the outcome's classification (`pending`
 * for `wait_until: NONE`/`INCLUDED`, which carry no outcome). Throws NearRpcError; on
 * `mayHaveLanded` errors re-broadcast the same bytes or poll getTransactionStatus.
 */
export async function broadcastSignedTransaction(
  rpc: JsonRpcProvider,
  signedTxBase64: string,
  waitUntil: TxExecutionStatus = 'FINAL',
): Promise<TransactionStatus> {
  try {
    const outcome = (await rpc.sendJsonRpc('send_tx', {
      signed_tx_base64: signedTxBase64,
      wait_until: waitUntil,
    } as never)) as unknown as NearExecutionOutcome;
    return classifyOutcome(outcome);
  } catch (err) {
    throw classifyNearRpcError(err);
  }
}

/**
 * Looks a transaction up with `tx`. `waitUntil: 'NONE'` (the default) answers at once; other levels
 * make the node wait (and a node answers 408 `timeout` when the level is not reached in time).
 * UNKNOWN_TRANSACTION becomes `{ kind: 'unknown' }`; transport errors throw NearRpcError.
 */
export async function getTransactionStatus(
  rpc: JsonRpcProvider,
  hash: string,
  signerId: string,
  waitUntil: TxExecutionStatus = 'NONE',
): Promise<TransactionStatus> {
  try {
    const outcome = (await rpc.viewTransactionStatus({
      txHash: hash,
      accountId: signerId,
      waitUntil,
    })) as unknown as NearExecutionOutcome;
    return classifyOutcome(outcome);
  } catch (err) {
    const classified = classifyNearRpcError(err);
    if (classified.code === 'unknown_transaction') return { kind: 'unknown' };
    throw classified;
  }
}
