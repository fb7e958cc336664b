import {
  actions,
  base64Decode,
  createTransaction,
  KeyPair,
  KeyPairSigner,
  SignedTransaction,
  baseDecode,
  type JsonRpcProvider,
} from 'near-api-js';
import {
  InvalidNonceError,
  NotEnoughBalanceError,
  TransactionExpiredError,
  SignerDoesNotExistError,
  InvalidSignatureError,
  AccessKeyNotFoundActionError,
  AccessKeyReceiverMismatchActionError,
  AccessKeyMethodNameMismatchActionError,
  AccessKeyDepositWithFunctionCallActionError,
  NonceTooLargeError,
  UnknownTransactionError,
  AccountDoesNotExistError,
  AccessKeyDoesNotExistError,
} from 'near-api-js/rpc-errors';
import {
  buildSignedTransaction,
  createNearProvider,
  fungibleTokenPayoutActions,
  nativeTransferActions,
  viewFtBalance,
  viewStorageBalance,
  viewStorageBalanceBounds,
} from '@lib/near';
import { startNearEmulator, type NearEmulator } from './server';

const NEAR = 10n ** 24n;
const USDC = 'usdc.test.near';
let seq = 0;
const fresh = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${seq++}.test.near`;

function sumBurnt(outcome: any): bigint {
  return [outcome.transaction_outcome, ...outcome.receipts_outcome].reduce(
    (sum: bigint, o: any) => sum + BigInt(o.outcome.tokens_burnt),
    0n,
  );
}

describe('NEAR emulator through near-api-js', () => {
  let emulator: NearEmulator;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    emulator = await startNearEmulator({
      waitTimeoutMs: 200,
      fungibleTokens: [{ contractId: USDC, symbol: 'USDC', decimals: 6 }],
    });
    provider = createNearProvider({ url: emulator.url });
  });
  afterAll(() => emulator.close());

  function funded(prefix: string, amount = 100n * NEAR) {
    const account = emulator.createAccount({ accountId: fresh(prefix), amount });
    const signer = new KeyPairSigner(account.keyPair);
    return { ...account, signer };
  }

  async function sign(
    from: ReturnType<typeof funded>,
    receiverId: string,
    acts: ReturnType<typeof nativeTransferActions>,
    nonce?: bigint,
  ) {
    const record = await buildSignedTransaction({
      provider,
      signer: from.signer,
      signerId: from.accountId,
      receiverId,
      actions: acts,
      nonce,
    });
    return { record, signed: SignedTransaction.decode(base64Decode(record.signedTxBase64)) };
  }

  it('moves native NEAR: receiver gets the deposit, sender pays deposit + gas', async () => {
    const alice = funded('alice');
    const bob = funded('bob', 1n * NEAR);
    const aliceBefore = emulator.balanceOf(alice.accountId)!;
    const { record, signed } = await sign(alice, bob.accountId, nativeTransferActions(3n * NEAR));
    const outcome: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(outcome.status).toEqual({ SuccessValue: '' });
    expect(outcome.final_execution_status).toBe('FINAL');
    expect(outcome.transaction.hash).toBe(record.hash);
    const burnt = sumBurnt(outcome);
    expect(burnt).toBeGreaterThan(0n);
    const aliceView = await provider.viewAccount({ accountId: alice.accountId, blockQuery: { finality: 'final' } });
    const bobView = await provider.viewAccount({ accountId: bob.accountId, blockQuery: { finality: 'final' } });
    expect(aliceView.amount).toBe(aliceBefore - 3n * NEAR - burnt);
    expect(bobView.amount).toBe(4n * NEAR);
    const key = await provider.viewAccessKey({ accountId: alice.accountId, publicKey: alice.keyPair.getPublicKey() });
    expect(key.nonce).toBe(record.nonce);
  });
});
