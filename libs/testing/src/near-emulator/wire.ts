// nearcore JSON-RPC error bodies (notes/near.md §3.1, §3.4–3.7). Everything the emulator answers
// with goes through here so the error dialect stays nearcore's.

/** A JSON-RPC error the emulator answers with, plus the HTTP status nearcore ≥ 2.3 uses for it. */
export class RpcFailure extends Error {
  constructor(
    readonly httpStatus: number,
    readonly error: Record<string, unknown>,
  ) {
    super(typeof error.data === 'string' ? error.data : JSON.stringify(error.cause));
    this.name = 'RpcFailure';
  }
}

export function handlerError(
  cause: string,
  info: Record<string, unknown>,
  data: unknown,
  httpStatus = 200,
): RpcFailure {
  return new RpcFailure(httpStatus, {
    name: 'HANDLER_ERROR',
    cause: { name: cause, info },
    code: -32000,
    message: 'Server error',
    data,
  });
}

/** A send-time rejection: the tx was NOT included (`InvalidTxError` variant as nearcore spells it). */
export function invalidTransaction(invalidTxError: unknown): RpcFailure {
  return handlerError(
    'INVALID_TRANSACTION',
    {},
    { TxExecutionError: { InvalidTxError: invalidTxError } },
  );
}

export function timeoutError(): RpcFailure {
  return handlerError('TIMEOUT_ERROR', { cause: 'NOT_OBSERVED' }, 'Timeout', 408);
}

export function unknownTransaction(hash: string): RpcFailure {
  return handlerError(
    'UNKNOWN_TRANSACTION',
    { requested_transaction_hash: hash },
    `Transaction ${hash} doesn't exist`,
  );
}

export function unknownAccount(
  accountId: string,
  blockHeight: number,
  blockHash: string,
): RpcFailure {
  return handlerError(
    'UNKNOWN_ACCOUNT',
    { requested_account_id: accountId, block_height: blockHeight, block_hash: blockHash },
    `account ${accountId} does not exist while viewing`,
  );
}

export function unknownBlock(reference: unknown): RpcFailure {
  return handlerError(
    'UNKNOWN_BLOCK',
    { block_reference: reference },
    `DB Not Found Error: BLOCK: ${JSON.stringify(reference)}`,
  );
}

export function parseError(message: string): RpcFailure {
  return new RpcFailure(400, {
    name: 'REQUEST_VALIDATION_ERROR',
    cause: { name: 'PARSE_ERROR', info: { error_message: message } },
    code: -32700,
    message: 'Parse error',
    data: message,
  });
}

export function methodNotFound(method: string): RpcFailure {
  return new RpcFailure(400, {
    name: 'REQUEST_VALIDATION_ERROR',
    cause: { name: 'METHOD_NOT_FOUND', info: { method_name: method } },
    code: -32601,
    message: 'Method not found',
    data: method,
  });
}

export function internalError(message: string, httpStatus = 500): RpcFailure {
  return new RpcFailure(httpStatus, {
    name: 'INTERNAL_ERROR',
    cause: { name: 'INTERNAL_ERROR', info: { error_message: message } },
    code: -32000,
    message: 'Server error',
    data: message,
  });
}

/** The legacy "error inside result" form nearcore uses for missing keys and view-call failures. */
export function legacyQueryError(message: string, blockHeight: number, blockHash: string) {
  return { error: message, logs: [] as string[], block_height: blockHeight, block_hash: blockHash };
}

/** `wait_until` levels in nearcore's order. */
export const TX_EXECUTION_LEVELS = [
  'NONE',
  'INCLUDED',
  'EXECUTED_OPTIMISTIC',
  'INCLUDED_FINAL',
  'EXECUTED',
  'FINAL',
] as const;
export type TxExecutionLevel = (typeof TX_EXECUTION_LEVELS)[number];

export function levelRank(level: TxExecutionLevel): number {
  return TX_EXECUTION_LEVELS.indexOf(level);
}

export function parseLevel(value: unknown, fallback: TxExecutionLevel): TxExecutionLevel {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (TX_EXECUTION_LEVELS as readonly string[]).includes(value)) {
    return value as TxExecutionLevel;
  }
  throw parseError(
    `unknown variant \`${JSON.stringify(value)}\`, expected one of ${TX_EXECUTION_LEVELS.join(', ')}`,
  );
}
