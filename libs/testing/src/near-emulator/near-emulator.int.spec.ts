/* eslint-disable @typescript-eslint/no-explicit-any -- tests read raw RPC JSON */
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
    const aliceView = await provider.viewAccount({
      accountId: alice.accountId,
      blockQuery: { finality: 'final' },
    });
    const bobView = await provider.viewAccount({
      accountId: bob.accountId,
      blockQuery: { finality: 'final' },
    });
    expect(aliceView.amount).toBe(aliceBefore - 3n * NEAR - burnt);
    expect(bobView.amount).toBe(4n * NEAR);
    const key = await provider.viewAccessKey({
      accountId: alice.accountId,
      publicKey: alice.keyPair.getPublicKey(),
    });
    expect(key.nonce).toBe(record.nonce);
  });

  it('pays USDC in one tx (storage_deposit + ft_transfer): registers the receiver, moves tokens', async () => {
    const treasury = funded('treasury');
    emulator.setFtBalance(USDC, treasury.accountId, 10_000_000_000n);
    const grantee = funded('grantee', 1n * NEAR);
    expect(await viewStorageBalance(provider, USDC, grantee.accountId, 'optimistic')).toBeNull();
    const bounds = await viewStorageBalanceBounds(provider, USDC);
    expect(bounds.min).toBe(1_250_000_000_000_000_000_000n);
    const before = emulator.balanceOf(treasury.accountId)!;
    const contractBefore = emulator.balanceOf(USDC)!;

    const { signed } = await sign(
      treasury,
      USDC,
      fungibleTokenPayoutActions({
        receiverId: grantee.accountId,
        amount: 2_500_500_000n,
        storageDepositYocto: bounds.min,
        memo: 'grant:42',
      }),
    );
    const outcome: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(outcome.status).toEqual({ SuccessValue: '' });
    expect(outcome.transaction.actions.map((a: any) => a.FunctionCall.method_name)).toEqual([
      'storage_deposit',
      'ft_transfer',
    ]);
    const logs = outcome.receipts_outcome.flatMap((r: any) => r.outcome.logs);
    expect(logs).toContain(
      'EVENT_JSON:{"standard":"nep141","version":"1.0.0","event":"ft_transfer","data":[{"old_owner_id":"' +
        treasury.accountId +
        '","new_owner_id":"' +
        grantee.accountId +
        '","amount":"2500500000","memo":"grant:42"}]}',
    );
    expect(await viewFtBalance(provider, USDC, grantee.accountId)).toBe(2_500_500_000n);
    expect(await viewFtBalance(provider, USDC, treasury.accountId)).toBe(
      10_000_000_000n - 2_500_500_000n,
    );
    expect(await viewStorageBalance(provider, USDC, grantee.accountId)).toEqual({
      total: bounds.min,
      available: 0n,
    });
    // NEAR side: treasury paid the storage minimum + 1 yocto + gas; the contract keeps the deposits.
    expect(emulator.balanceOf(treasury.accountId)).toBe(
      before - bounds.min - 1n - sumBurnt(outcome),
    );
    expect(emulator.balanceOf(USDC)).toBe(contractBefore + bounds.min + 1n);

    // Paying an already registered receiver: the storage deposit is refunded in full.
    const before2 = emulator.balanceOf(treasury.accountId)!;
    const { signed: again } = await sign(
      treasury,
      USDC,
      fungibleTokenPayoutActions({
        receiverId: grantee.accountId,
        amount: 1n,
        storageDepositYocto: bounds.min,
      }),
    );
    const outcome2: any = await provider.sendTransactionUntil(again, 'FINAL');
    expect(outcome2.status).toEqual({ SuccessValue: '' });
    expect(emulator.balanceOf(treasury.accountId)).toBe(before2 - 1n - sumBurnt(outcome2));
    expect(emulator.ftBalanceOf(USDC, grantee.accountId)).toBe(2_500_500_001n);
  });

  it('rejects a reused nonce with InvalidNonceError (and applies nothing)', async () => {
    const alice = funded('alice');
    const bob = funded('bob', 1n * NEAR);
    const first = await sign(alice, bob.accountId, nativeTransferActions(1n * NEAR));
    await provider.sendTransactionUntil(first.signed, 'FINAL');
    const reuse = await sign(
      alice,
      bob.accountId,
      nativeTransferActions(2n * NEAR),
      first.record.nonce,
    );
    expect(reuse.record.hash).not.toBe(first.record.hash);
    const err = await provider.sendTransactionUntil(reuse.signed, 'FINAL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidNonceError);
    expect((err as InvalidNonceError).accessKeyNonce).toBe(Number(first.record.nonce));
    expect(emulator.balanceOf(bob.accountId)).toBe(2n * NEAR);
  });

  it('rejects an expired block hash with TransactionExpiredError', async () => {
    const short = await startNearEmulator({ transactionValidityPeriod: 5 });
    try {
      const p = createNearProvider({ url: short.url });
      const alice = short.createAccount({ accountId: 'alice.test.near' });
      const signer = new KeyPairSigner(alice.keyPair);
      const record = await buildSignedTransaction({
        provider: p,
        signer,
        signerId: alice.accountId,
        receiverId: alice.accountId,
        actions: nativeTransferActions(1n),
      });
      short.stepBlocks(5);
      const err = await p
        .sendTransactionUntil(
          SignedTransaction.decode(base64Decode(record.signedTxBase64)),
          'FINAL',
        )
        .catch((e: unknown) => e);
      // validity 5 from the `final` block (head - 2): 5 more blocks puts head 7 past it.
      expect(err).toBeInstanceOf(TransactionExpiredError);
      // An unknown block hash is Expired too.
      const tx = createTransaction(
        alice.accountId,
        alice.keyPair.getPublicKey(),
        alice.accountId,
        record.nonce + 1n,
        [actions.transfer(1n)],
        new Uint8Array(32).fill(3),
      );
      const { signedTransaction } = await signer.signTransaction(tx);
      await expect(p.sendTransactionUntil(signedTransaction, 'FINAL')).rejects.toBeInstanceOf(
        TransactionExpiredError,
      );

      // A tx that landed, re-sent after its validity window: Expired (as nearcore), though `tx` knows it.
      const landed = await buildSignedTransaction({
        provider: p,
        signer,
        signerId: alice.accountId,
        receiverId: alice.accountId,
        actions: nativeTransferActions(1n),
      });
      const landedTx = SignedTransaction.decode(base64Decode(landed.signedTxBase64));
      await p.sendTransactionUntil(landedTx, 'FINAL');
      short.stepBlocks(6);
      await expect(p.sendTransactionUntil(landedTx, 'FINAL')).rejects.toBeInstanceOf(
        TransactionExpiredError,
      );
      const status: any = await p.viewTransactionStatus({
        txHash: landed.hash,
        accountId: alice.accountId,
        waitUntil: 'NONE',
      });
      expect(status.status).toEqual({ SuccessValue: '' });
    } finally {
      await short.close();
    }
  });

  it('rejects an unaffordable tx with NotEnoughBalanceError carrying balance and cost', async () => {
    const poor = funded('poor', 1n * NEAR);
    const { signed } = await sign(poor, fresh('rich'), nativeTransferActions(2n * NEAR));
    const err = await provider.sendTransactionUntil(signed, 'FINAL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotEnoughBalanceError);
    expect((err as NotEnoughBalanceError).balance).toBe(1n * NEAR);
    expect((err as NotEnoughBalanceError).cost).toBeGreaterThan(2n * NEAR);
    expect(emulator.balanceOf(poor.accountId)).toBe(1n * NEAR);
  });

  it('runs the other send-time checks in nearcore order', async () => {
    const alice = funded('alice');
    const block = await provider.viewBlock({ finality: 'final' });
    const pk = alice.keyPair.getPublicKey();
    const signWith = async (
      keyPair: KeyPair,
      signerId: string,
      nonce: bigint,
      acts = [actions.transfer(1n)],
      receiver = alice.accountId,
    ) => {
      const tx = createTransaction(
        signerId,
        keyPair.getPublicKey(),
        receiver,
        nonce,
        acts,
        baseDecode(block.header.hash),
      );
      return (await new KeyPairSigner(keyPair).signTransaction(tx)).signedTransaction;
    };
    // signature by another key than tx.public_key
    const forged = await signWith(alice.keyPair, alice.accountId, 10n ** 12n);
    const other = KeyPair.fromRandom('ed25519');
    const reSigned = SignedTransaction.decode(forged.encode());
    (reSigned as any).signature.ed25519Signature.data = Array.from(
      other.sign(new Uint8Array(32)).signature,
    );
    await expect(provider.sendTransactionUntil(reSigned, 'FINAL')).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );
    // signer does not exist
    await expect(
      provider.sendTransactionUntil(await signWith(other, fresh('ghost'), 1n), 'FINAL'),
    ).rejects.toBeInstanceOf(SignerDoesNotExistError);
    // key not on the account
    await expect(
      provider.sendTransactionUntil(await signWith(other, alice.accountId, 10n ** 12n), 'FINAL'),
    ).rejects.toBeInstanceOf(AccessKeyNotFoundActionError);
    // nonce >= height * 1e6
    const tooLarge = BigInt(emulator.head().height) * 1_000_000n;
    await expect(
      provider.sendTransactionUntil(
        await signWith(alice.keyPair, alice.accountId, tooLarge),
        'FINAL',
      ),
    ).rejects.toBeInstanceOf(NonceTooLargeError);
    expect(pk).toBeDefined();
  });

  it('enforces function-call key permissions (receiver, methods, no deposit)', async () => {
    const alice = funded('alice');
    const fcKey = KeyPair.fromRandom('ed25519');
    emulator.addAccessKey({
      accountId: alice.accountId,
      publicKey: fcKey.getPublicKey().toString(),
      permission: { receiverId: USDC, methodNames: ['ft_balance_of'], allowance: 10n ** 24n },
    });
    const block = await provider.viewBlock({ finality: 'final' });
    const send = async (receiver: string, act: ReturnType<typeof actions.transfer>) => {
      const ak = await provider.viewAccessKey({
        accountId: alice.accountId,
        publicKey: fcKey.getPublicKey(),
      });
      const tx = createTransaction(
        alice.accountId,
        fcKey.getPublicKey(),
        receiver,
        ak.nonce + 1n,
        [act],
        baseDecode(block.header.hash),
      );
      const { signedTransaction } = await new KeyPairSigner(fcKey).signTransaction(tx);
      return provider.sendTransactionUntil(signedTransaction, 'FINAL');
    };
    const gas = 30_000_000_000_000n;
    await expect(
      send('other.test.near', actions.functionCall('ft_balance_of', {}, gas, 0n)),
    ).rejects.toBeInstanceOf(AccessKeyReceiverMismatchActionError);
    await expect(
      send(USDC, actions.functionCall('ft_transfer', {}, gas, 0n)),
    ).rejects.toBeInstanceOf(AccessKeyMethodNameMismatchActionError);
    await expect(
      send(USDC, actions.functionCall('ft_balance_of', {}, gas, 1n)),
    ).rejects.toBeInstanceOf(AccessKeyDepositWithFunctionCallActionError);
    const ok: any = await send(
      USDC,
      actions.functionCall('ft_balance_of', { account_id: alice.accountId }, gas, 0n),
    );
    expect(ok.status).toEqual({ SuccessValue: Buffer.from('"0"').toString('base64') });
  });

  it('reports an unregistered FT receiver as an on-chain Failure with the panic message, atomically', async () => {
    const treasury = funded('treasury');
    emulator.setFtBalance(USDC, treasury.accountId, 5_000_000n);
    const stranger = fresh('stranger');
    const before = emulator.balanceOf(treasury.accountId)!;
    const { signed, record } = await sign(treasury, USDC, [
      actions.functionCall(
        'ft_transfer',
        { receiver_id: stranger, amount: '1000000' },
        30_000_000_000_000n,
        1n,
      ),
    ]);
    const outcome: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(outcome.status).toEqual({
      Failure: {
        ActionError: {
          index: 0,
          kind: {
            FunctionCallError: {
              ExecutionError: `Smart contract panicked: The account ${stranger} is not registered`,
            },
          },
        },
      },
    });
    expect(outcome.receipts_outcome[0].outcome.status).toEqual(outcome.status);
    // Tokens did not move (the sender's withdraw was rolled back), the 1 yocto came back, gas was burnt,
    // and the nonce was consumed.
    expect(emulator.ftBalanceOf(USDC, treasury.accountId)).toBe(5_000_000n);
    expect(emulator.balanceOf(treasury.accountId)).toBe(before - sumBurnt(outcome));
    expect(emulator.accessKey(treasury.accountId, treasury.publicKey)!.nonce).toBe(record.nonce);
  });

  it('rolls back storage_deposit when ft_transfer in the same tx fails', async () => {
    const treasury = funded('treasury');
    emulator.setFtBalance(USDC, treasury.accountId, 10n);
    const grantee = fresh('grantee');
    const { signed } = await sign(
      treasury,
      USDC,
      fungibleTokenPayoutActions({
        receiverId: grantee,
        amount: 11n,
        storageDepositYocto: 1_250_000_000_000_000_000_000n,
      }),
    );
    const outcome: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(outcome.status.Failure.ActionError).toEqual({
      index: 1,
      kind: {
        FunctionCallError: {
          ExecutionError: "Smart contract panicked: The account doesn't have enough balance",
        },
      },
    });
    expect(await viewStorageBalance(provider, USDC, grantee)).toBeNull();
  });

  it('reports a missing named receiver as ActionError AccountDoesNotExist and refunds the deposit', async () => {
    const alice = funded('alice');
    const nobody = fresh('nobody');
    const before = emulator.balanceOf(alice.accountId)!;
    const { signed } = await sign(alice, nobody, nativeTransferActions(5n * NEAR));
    const outcome: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(outcome.status).toEqual({
      Failure: { ActionError: { index: 0, kind: { AccountDoesNotExist: { account_id: nobody } } } },
    });
    expect(emulator.balanceOf(alice.accountId)).toBe(before - sumBurnt(outcome));
    await expect(provider.viewAccount({ accountId: nobody })).rejects.toBeInstanceOf(
      AccountDoesNotExistError,
    );
  });

  it('creates a 64-hex implicit account on transfer', async () => {
    const alice = funded('alice');
    const implicitKey = KeyPair.fromRandom('ed25519');
    const implicitId = Buffer.from(implicitKey.getPublicKey().data).toString('hex');
    const { signed } = await sign(alice, implicitId, nativeTransferActions(1n * NEAR));
    const outcome: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(outcome.status).toEqual({ SuccessValue: '' });
    const key = await provider.viewAccessKey({
      accountId: implicitId,
      publicKey: implicitKey.getPublicKey(),
    });
    expect(key.permission).toBe('FullAccess');
  });

  it('answers view errors like nearcore (unknown key, unknown tx)', async () => {
    const alice = funded('alice');
    await expect(
      provider.viewAccessKey({
        accountId: alice.accountId,
        publicKey: KeyPair.fromRandom('ed25519').getPublicKey(),
      }),
    ).rejects.toBeInstanceOf(AccessKeyDoesNotExistError);
    await expect(
      provider.viewTransactionStatus({
        txHash: '11111111111111111111111111111111',
        accountId: alice.accountId,
        waitUntil: 'NONE',
      }),
    ).rejects.toBeInstanceOf(UnknownTransactionError);
  });

  it('finds a tx whose send timed out (408) after being applied; resending the same bytes does not pay twice', async () => {
    const alice = funded('alice');
    const bob = funded('bob', 1n * NEAR);
    const { signed, record } = await sign(alice, bob.accountId, nativeTransferActions(2n * NEAR));
    emulator.faults.timeoutAfterApply();
    const err: any = await provider.sendTransactionUntil(signed, 'FINAL').catch((e: unknown) => e);
    expect(err.cause).toBe(408);
    const status: any = await provider.viewTransactionStatus({
      txHash: record.hash,
      accountId: alice.accountId,
      waitUntil: 'NONE',
    });
    expect(status.status).toEqual({ SuccessValue: '' });
    const afterFirst = emulator.balanceOf(alice.accountId)!;

    const again: any = await provider.sendTransactionUntil(signed, 'FINAL');
    expect(again.transaction.hash).toBe(record.hash);
    expect(again.status).toEqual(status.status);
    expect(emulator.balanceOf(bob.accountId)).toBe(3n * NEAR);
    expect(emulator.balanceOf(alice.accountId)).toBe(afterFirst);
  });

  it('NONE queues the tx for the next block; tx flips from UNKNOWN_TRANSACTION to known', async () => {
    const manual = await startNearEmulator({ autoStepWhenWaiting: false, waitTimeoutMs: 50 });
    try {
      const p = createNearProvider({ url: manual.url });
      const alice = manual.createAccount({ accountId: 'alice.test.near' });
      const record = await buildSignedTransaction({
        provider: p,
        signer: new KeyPairSigner(alice.keyPair),
        signerId: alice.accountId,
        receiverId: alice.accountId,
        actions: nativeTransferActions(1n),
      });
      const signed = SignedTransaction.decode(base64Decode(record.signedTxBase64));
      expect(await p.sendTransactionUntil(signed, 'NONE')).toEqual({
        final_execution_status: 'NONE',
      });
      await expect(
        p.viewTransactionStatus({
          txHash: record.hash,
          accountId: alice.accountId,
          waitUntil: 'NONE',
        }),
      ).rejects.toBeInstanceOf(UnknownTransactionError);
      // waiting for a level on an unknown tx ends in 408 after waitTimeoutMs
      await expect(
        p.viewTransactionStatus({
          txHash: record.hash,
          accountId: alice.accountId,
          waitUntil: 'FINAL',
        }),
      ).rejects.toMatchObject({ cause: 408 });
      manual.stepBlocks(1);
      const optimistic: any = await p.viewTransactionStatus({
        txHash: record.hash,
        accountId: alice.accountId,
        waitUntil: 'NONE',
      });
      expect(optimistic.final_execution_status).toBe('EXECUTED_OPTIMISTIC');
      manual.stepBlocks(2);
      const final: any = await p.viewTransactionStatusWithReceipts({
        txHash: record.hash,
        accountId: alice.accountId,
        waitUntil: 'FINAL',
      });
      expect(final.final_execution_status).toBe('FINAL');
      expect(final.receipts.length).toBeGreaterThan(0);
    } finally {
      await manual.close();
    }
  });

  it('injects dropped connections, 500, 502 and delays', async () => {
    const alice = funded('alice');
    const bob = funded('bob', 1n * NEAR);
    const { signed, record } = await sign(alice, bob.accountId, nativeTransferActions(1n * NEAR));

    emulator.faults.dropConnection();
    await expect(provider.sendTransactionUntil(signed, 'FINAL')).rejects.toThrow(/fetch failed/);
    expect(emulator.transaction(record.hash)).toBeUndefined();

    emulator.faults.httpError(500);
    await expect(provider.sendTransactionUntil(signed, 'FINAL')).rejects.toMatchObject({
      cause: 500,
    });
    emulator.faults.httpError(502, { methods: '*' });
    await expect(provider.viewBlock({ finality: 'final' })).rejects.toMatchObject({ cause: 502 });

    emulator.faults.dropConnection({ afterApply: true });
    await expect(provider.sendTransactionUntil(signed, 'FINAL')).rejects.toThrow(/fetch failed/);
    expect(emulator.transaction(record.hash)).toBeDefined();

    emulator.faults.delay(120, { methods: ['tx'] });
    const started = Date.now();
    await provider.viewTransactionStatus({
      txHash: record.hash,
      accountId: alice.accountId,
      waitUntil: 'NONE',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(emulator.faults.pending()).toEqual([]);
    expect(emulator.balanceOf(bob.accountId)).toBe(2n * NEAR);
  });

  it('produces blocks on a timer when asked, with final lagging head by 2', async () => {
    const timed = await startNearEmulator({ blockIntervalMs: 20 });
    try {
      const p = createNearProvider({ url: timed.url });
      const start = (await p.viewBlock({ finality: 'optimistic' })).header.height;
      await new Promise((r) => setTimeout(r, 120));
      const head = await p.viewBlock({ finality: 'optimistic' });
      expect(head.header.height).toBeGreaterThan(start);
      const final = await p.viewBlock({ finality: 'final' });
      expect(final.header.height).toBeGreaterThanOrEqual(head.header.height - 2);
      expect(final.header.height).toBeLessThanOrEqual(head.header.height);
      // send_tx FINAL waits for the timer's blocks
      const alice = timed.createAccount({ accountId: 'alice.test.near' });
      const record = await buildSignedTransaction({
        provider: p,
        signer: new KeyPairSigner(alice.keyPair),
        signerId: alice.accountId,
        receiverId: alice.accountId,
        actions: nativeTransferActions(1n),
      });
      const outcome: any = await p.sendTransactionUntil(
        SignedTransaction.decode(base64Decode(record.signedTxBase64)),
        'FINAL',
      );
      expect(outcome.final_execution_status).toBe('FINAL');
    } finally {
      await timed.close();
    }
  });
});
