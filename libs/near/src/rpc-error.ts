import {
  AccessKeyDepositWithFunctionCallActionError,
  AccessKeyMethodNameMismatchActionError,
  AccessKeyNotEnoughAllowanceActionError,
  AccessKeyReceiverMismatchActionError,
  AccessKeyRequiresFullAccessActionError,
  AccessKeyDoesNotExistError,
  AccessKeyNotFoundActionError,
  AccountDoesNotExistError,
  InternalRpcError,
  InvalidNonceError,
  InvalidSignatureError,
  NonceTooLargeError,
  NotEnoughBalanceError,
  RequestValidationError,
  ShardCongestedError,
  ShardStuckError,
  SignerDoesNotExistError,
  TransactionExecutionError,
  TransactionExpiredError,
  TransactionTimeoutError,
  UnknownTransactionError,
} from 'near-api-js/rpc-errors';

/** Stable codes for everything an RPC call can fail with. */
export type NearRpcErrorCode =
  /** The tx nonce is not above the access key's nonce (or the tx was already applied and forgotten). */
  | 'invalid_nonce'
  | 'nonce_too_large'
  /** The tx's block hash is unknown or older than the validity period. */
  | 'expired'
  | 'not_enough_balance'
  | 'signer_does_not_exist'
  | 'access_key_not_found'
  /** A function-call key was used outside its receiver, methods, allowance or with a deposit. */
  | 'access_key_permission'
  | 'invalid_signature'
  | 'shard_congested'
  /** Any other `INVALID_TRANSACTION` rejection. */
  | 'invalid_transaction'
  | 'unknown_transaction'
  | 'unknown_account'
  | 'unknown_access_key'
  /** HTTP 408 / TIMEOUT_ERROR: the node gave up waiting; the tx may still land. */
  | 'timeout'
  /** HTTP 500/503 or INTERNAL_ERROR. */
  | 'server_error'
  | 'bad_gateway'
  | 'rate_limited'
  /** Connection refused, reset or dropped before a response arrived. */
  | 'network'
  | 'bad_request'
  | 'rpc_error';

/** Codes for which a sent transaction is known NOT to have been applied by this request. */
const REJECTED_BEFORE_INCLUSION: ReadonlySet<NearRpcErrorCode> = new Set<NearRpcErrorCode>([
  'invalid_nonce',
  'nonce_too_large',
  'expired',
  'not_enough_balance',
  'signer_does_not_exist',
  'access_key_not_found',
  'access_key_permission',
  'invalid_signature',
  'shard_congested',
  'invalid_transaction',
  'bad_request',
  'rate_limited',
]);

/**
 * An RPC failure classified into a stable `code`. `mayHaveLanded` is true when a send that failed
 * this way may still have been (or be) applied — the caller must then re-broadcast the same bytes
 * and poll `tx`, never sign anew. Note that a *resend* of an old tx can answer `expired` or
 * `invalid_nonce` even though the first send landed: always confirm with `tx`.
 */
export class NearRpcError extends Error {
  readonly mayHaveLanded: boolean;

  constructor(
    readonly code: NearRpcErrorCode,
    message: string,
    readonly details: Record<string, string | number | boolean | null> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NearRpcError';
    this.mayHaveLanded = !REJECTED_BEFORE_INCLUSION.has(code);
  }
}

// Duck-typed on purpose: fetch errors come from Node's own realm, so `instanceof Error` can fail
// (e.g. under Jest's vm sandbox).
interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  constructor?: { name?: string };
}

function asErrorLike(err: unknown): ErrorLike | undefined {
  return err !== null && typeof err === 'object' ? err : undefined;
}

function httpStatusOf(err: unknown): number | undefined {
  // near-api-js's ProviderError is not exported; it carries the HTTP status in `cause`.
  const e = asErrorLike(err);
  if (e?.constructor?.name === 'ProviderError' && typeof e.cause === 'number') return e.cause;
  return undefined;
}

function isNetworkError(err: unknown): boolean {
  const e = asErrorLike(err);
  if (!e) return false;
  const code = e.code ?? asErrorLike(e.cause)?.code;
  if (
    typeof code === 'string' &&
    /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)
  ) {
    return true;
  }
  return /fetch failed|socket hang up|other side closed|Failed to fetch/i.test(String(e.message));
}

/** Maps whatever near-api-js (or fetch) threw into a NearRpcError; returns it unchanged if it already is one. */
export function classifyNearRpcError(err: unknown): NearRpcError {
  if (err instanceof NearRpcError) return err;
  const message = String(asErrorLike(err)?.message ?? err);
  const wrap = (code: NearRpcErrorCode, details: NearRpcError['details'] = {}) =>
    new NearRpcError(code, message || code, details, { cause: err });

  if (err instanceof InvalidNonceError) {
    return wrap('invalid_nonce', {
      accessKeyNonce: err.accessKeyNonce.toString(),
      transactionNonce: err.transactionNonce.toString(),
    });
  }
  if (err instanceof NonceTooLargeError) return wrap('nonce_too_large');
  if (err instanceof TransactionExpiredError) return wrap('expired');
  if (err instanceof NotEnoughBalanceError) {
    return wrap('not_enough_balance', {
      signerId: err.signerId,
      balance: err.balance.toString(),
      cost: err.cost.toString(),
    });
  }
  if (err instanceof SignerDoesNotExistError) return wrap('signer_does_not_exist');
  if (err instanceof AccessKeyNotFoundActionError) return wrap('access_key_not_found');
  if (err instanceof InvalidSignatureError) return wrap('invalid_signature');
  if (err instanceof ShardCongestedError || err instanceof ShardStuckError)
    return wrap('shard_congested');
  if (
    err instanceof AccessKeyReceiverMismatchActionError ||
    err instanceof AccessKeyMethodNameMismatchActionError ||
    err instanceof AccessKeyDepositWithFunctionCallActionError ||
    err instanceof AccessKeyRequiresFullAccessActionError ||
    err instanceof AccessKeyNotEnoughAllowanceActionError
  ) {
    return wrap('access_key_permission');
  }
  if (err instanceof TransactionExecutionError) return wrap('invalid_transaction');
  if (err instanceof UnknownTransactionError)
    return wrap('unknown_transaction', { txHash: err.txHash });
  if (err instanceof AccountDoesNotExistError)
    return wrap('unknown_account', { accountId: err.accountId });
  if (err instanceof AccessKeyDoesNotExistError) {
    return wrap('unknown_access_key', { publicKey: err.publicKey.toString() });
  }
  if (err instanceof TransactionTimeoutError) return wrap('timeout');
  if (err instanceof InternalRpcError) return wrap('server_error');
  if (err instanceof RequestValidationError) return wrap('bad_request');

  const status = httpStatusOf(err);
  if (status !== undefined) {
    if (status === 408) return wrap('timeout', { httpStatus: status });
    if (status === 500 || status === 503) return wrap('server_error', { httpStatus: status });
    if (status === 502) return wrap('bad_gateway', { httpStatus: status });
    if (status === 429) return wrap('rate_limited', { httpStatus: status });
  }
  if (isNetworkError(err)) return wrap('network');
  return wrap('rpc_error');
}
