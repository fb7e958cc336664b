import {
  AccessKeyReceiverMismatchActionError,
  InvalidNonceError,
  NotEnoughBalanceError,
  TransactionExpiredError,
  TransactionTimeoutError,
  UnknownTransactionError,
} from 'near-api-js/rpc-errors';
import { classifyNearRpcError, NearRpcError } from './rpc-error';

// near-api-js does not export its ProviderError; mimic it by name and `cause` (the HTTP status).
class ProviderError extends Error {
  constructor(
    message: string,
    override readonly cause: number,
  ) {
    super(message);
  }
}

describe('classifyNearRpcError', () => {
  it.each([
    ['invalid_nonce', new InvalidNonceError(9, 6, '', ''), false],
    ['expired', new TransactionExpiredError('', ''), false],
    ['not_enough_balance', new NotEnoughBalanceError(1n, 2n, 'treasury.near', '', ''), false],
    [
      'access_key_permission',
      new AccessKeyReceiverMismatchActionError('a.near', 'b.near', null, '', ''),
      false,
    ],
    ['unknown_transaction', new UnknownTransactionError('abc'), true],
    ['timeout', new TransactionTimeoutError(), true],
    ['timeout', new ProviderError('Timeout error', 408), true],
    ['server_error', new ProviderError('Internal server error', 500), true],
    ['server_error', new ProviderError('unavailable', 503), true],
    ['bad_gateway', new ProviderError('Bad Gateway', 502), true],
    ['rate_limited', new ProviderError('Too many requests', 429), false],
    [
      'network',
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      true,
    ],
    ['rpc_error', new Error('something else'), true],
  ] as const)('%s (case %#)', (code, err, mayHaveLanded) => {
    const classified = classifyNearRpcError(err);
    expect(classified).toBeInstanceOf(NearRpcError);
    expect(classified.code).toBe(code);
    expect(classified.mayHaveLanded).toBe(mayHaveLanded);
    expect(classified.cause).toBe(err);
  });

  it('keeps the nonces of InvalidNonce and leaves a NearRpcError alone', () => {
    const classified = classifyNearRpcError(new InvalidNonceError(9, 6, '', ''));
    expect(classified.details).toEqual({ accessKeyNonce: '9', transactionNonce: '6' });
    expect(classifyNearRpcError(classified)).toBe(classified);
  });
});
