import { KeyPair } from 'near-api-js';
import { startNearEmulator, type NearEmulator } from '@lib/testing';
import {
  broadcastSignedTransaction,
  buildSignedTransaction,
  createNearProvider,
  fungibleTokenPayoutActions,
  getTransactionStatus,
  nativeTransferActions,
  NearRpcError,
  TreasurySigner,
  viewAccessKey,
  viewAccount,
  viewFtBalance,
  viewStorageBalanceBounds,
} from '.';

const NEAR = 10n ** 24n;
const USDC = 'usdc.test.near';
let seq = 0;
const fresh = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${seq++}.test.near`;

describe('@lib/near payout path against the emulator', () => {
  let emulator: NearEmulator;
  let provider: ReturnType<typeof createNearProvider>;

  beforeAll(async () => {
    emulator = await startNearEmulator({
      waitTimeoutMs: 100,
      fungibleTokens: [{ contractId: USDC, symbol: 'USDC', decimals: 6 }],
    });
    provider = createNearProvider({ url: emulator.url });
  });
  afterAll(() => emulator.close());

  function treasury(amount = 100n * NEAR) {
    const keyPair = KeyPair.fromRandom('ed25519');
    const accountId = fresh('treasury');
    emulator.createAccount({ accountId, amount, keyPair });
    return TreasurySigner.load({ accountId, secretKey: keyPair.toString() });
  }

  it('build → persist → broadcast the stored bytes → success; status agrees', async () => {
    const signer = treasury();
    emulator.setFtBalance(USDC, signer.accountId, 1_000_000_000n);
    const grantee = fresh('grantee');
    emulator.createAccount({ accountId: grantee, amount: NEAR });
    const bounds = await viewStorageBalanceBounds(provider, USDC);
    const record = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: USDC,
      actions: fungibleTokenPayoutActions({
        receiverId: grantee,
        amount: 250_000_000n,
        storageDepositYocto: bounds.min,
        memo: 'grant:1',
      }),
    });
    const key = await viewAccessKey(provider, signer.accountId, signer.publicKey);
    expect(record.nonce).toBe(key!.nonce + 1n);
    expect(record.hash).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    expect(emulator.transaction(record.hash)).toBeUndefined(); // built, not sent

    const sent = await broadcastSignedTransaction(provider, record.signedTxBase64, 'FINAL');
    expect(sent.kind).toBe('success');
    const status = await getTransactionStatus(provider, record.hash, signer.accountId);
    expect(status.kind).toBe('success');
    expect(await viewFtBalance(provider, USDC, grantee)).toBe(250_000_000n);
  });

  it('uses the caller-chosen nonce and a chosen block', async () => {
    const signer = treasury();
    const head = emulator.head();
    const record = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: signer.accountId,
      actions: nativeTransferActions(1n),
      nonce: BigInt(head.height - 1) * 1_000_000n + 77n,
      blockReference: { blockId: head.height },
    });
    expect(record.nonce).toBe(BigInt(head.height - 1) * 1_000_000n + 77n);
    expect(record.blockHeight).toBe(head.height);
    expect(record.blockHash).toBe(head.hash);
  });

  it('classifies send errors into NearRpcError codes', async () => {
    const signer = treasury(NEAR);
    const grantee = fresh('grantee');
    emulator.createAccount({ accountId: grantee, amount: NEAR });
    const tooMuch = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: grantee,
      actions: nativeTransferActions(5n * NEAR),
    });
    await expect(
      broadcastSignedTransaction(provider, tooMuch.signedTxBase64),
    ).rejects.toMatchObject({
      code: 'not_enough_balance',
      mayHaveLanded: false,
      details: { signerId: signer.accountId, balance: NEAR.toString() },
    });

    const ok = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: grantee,
      actions: nativeTransferActions(1n),
    });
    await broadcastSignedTransaction(provider, ok.signedTxBase64);
    const reused = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: grantee,
      actions: nativeTransferActions(2n),
      nonce: ok.nonce,
    });
    const err = await broadcastSignedTransaction(provider, reused.signedTxBase64).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NearRpcError);
    expect(err).toMatchObject({ code: 'invalid_nonce', mayHaveLanded: false });

    emulator.faults.timeoutWithoutApply();
    const pending = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: grantee,
      actions: nativeTransferActions(3n),
    });
    await expect(
      broadcastSignedTransaction(provider, pending.signedTxBase64),
    ).rejects.toMatchObject({
      code: 'timeout',
      mayHaveLanded: true,
    });
    emulator.faults.dropConnection();
    await expect(
      broadcastSignedTransaction(provider, pending.signedTxBase64),
    ).rejects.toMatchObject({ code: 'network' });
    emulator.faults.httpError(503);
    await expect(
      broadcastSignedTransaction(provider, pending.signedTxBase64),
    ).rejects.toMatchObject({ code: 'server_error' });
    emulator.faults.httpError(502);
    await expect(
      broadcastSignedTransaction(provider, pending.signedTxBase64),
    ).rejects.toMatchObject({ code: 'bad_gateway' });
    // None of those applied it; now it lands once.
    expect(await getTransactionStatus(provider, pending.hash, signer.accountId)).toEqual({
      kind: 'unknown',
    });
    expect((await broadcastSignedTransaction(provider, pending.signedTxBase64)).kind).toBe(
      'success',
    );
  });

  it('recovers a payout whose broadcast timed out after applying: status finds it, a rebroadcast does not pay twice', async () => {
    const signer = treasury();
    const grantee = fresh('grantee');
    emulator.createAccount({ accountId: grantee, amount: NEAR });
    const record = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: grantee,
      actions: nativeTransferActions(10n * NEAR),
    });
    emulator.faults.timeoutAfterApply();
    await expect(
      broadcastSignedTransaction(provider, record.signedTxBase64, 'FINAL'),
    ).rejects.toMatchObject({
      code: 'timeout',
      mayHaveLanded: true,
    });
    const status = await getTransactionStatus(provider, record.hash, signer.accountId);
    expect(status.kind).toBe('success');
    const again = await broadcastSignedTransaction(provider, record.signedTxBase64, 'FINAL');
    expect(again.kind).toBe('success');
    expect((await viewAccount(provider, grantee))!.amount).toBe(11n * NEAR);
  });

  it('reports on-chain failures with the chain reason, and pending for NONE', async () => {
    const signer = treasury();
    emulator.setFtBalance(USDC, signer.accountId, 100n);
    const stranger = fresh('stranger');
    const noStorage = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: USDC,
      actions: fungibleTokenPayoutActions({
        receiverId: stranger,
        amount: 5n,
        storageDepositYocto: 0n,
      }),
    });
    const result = await broadcastSignedTransaction(provider, noStorage.signedTxBase64);
    expect(result).toMatchObject({
      kind: 'failure',
      reason:
        'Smart contract panicked: The attached deposit is less than the minimum storage balance',
    });

    const missing = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: stranger,
      actions: nativeTransferActions(1n),
      nonce: noStorage.nonce + 1n,
    });
    const missingResult = await broadcastSignedTransaction(provider, missing.signedTxBase64);
    expect(missingResult).toMatchObject({
      kind: 'failure',
      reason: `AccountDoesNotExist: {"account_id":"${stranger}"}`,
    });

    const queued = await buildSignedTransaction({
      provider,
      signer,
      signerId: signer.accountId,
      receiverId: signer.accountId,
      actions: nativeTransferActions(1n),
      nonce: missing.nonce + 1n,
    });
    expect(await broadcastSignedTransaction(provider, queued.signedTxBase64, 'NONE')).toEqual({
      kind: 'pending',
      outcome: { final_execution_status: 'NONE' },
    });
    expect(await getTransactionStatus(provider, queued.hash, signer.accountId)).toEqual({
      kind: 'unknown',
    });
    emulator.stepBlocks(1);
    expect((await getTransactionStatus(provider, queued.hash, signer.accountId)).kind).toBe(
      'success',
    );
  });

  it('views: missing account and key are null', async () => {
    expect(await viewAccount(provider, fresh('nobody'))).toBeNull();
    const signer = treasury();
    expect(
      await viewAccessKey(provider, signer.accountId, KeyPair.fromRandom('ed25519').getPublicKey()),
    ).toBeNull();
    expect((await viewAccount(provider, signer.accountId))!.amount).toBe(100n * NEAR);
  });
});
