/* eslint-disable @typescript-eslint/no-explicit-any -- tests read raw RPC JSON */
// Replays a fixed script of JSON-RPC requests against the emulator and compares each response's
// SHAPE (keys both ways, JSON types, recursively) with nearcore responses transcribed in fixtures/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  actions,
  createTransaction,
  KeyPair,
  KeyPairSigner,
  PublicKey,
  base64Encode,
} from 'near-api-js';
import {
  buildSignedTransaction,
  createNearProvider,
  fungibleTokenPayoutActions,
  nativeTransferActions,
} from '@lib/near';
import { startNearEmulator, type NearEmulator } from './server';

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
const jsonType = (v: unknown): JsonType =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : (typeof v as 'boolean' | 'number' | 'string' | 'object');

/** Differences between the shape of `expected` (fixture) and `actual`. */
function shapeDiff(expected: unknown, actual: unknown, path = '$'): string[] {
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) return [`${path}: expected ${te}, got ${ta}`];
  if (te === 'array') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length === 0) return [];
    return a.flatMap((item, i) => shapeDiff(e[Math.min(i, e.length - 1)], item, `${path}[${i}]`));
  }
  if (te === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const diffs: string[] = [];
    for (const key of Object.keys(e)) {
      if (!(key in a)) diffs.push(`${path}.${key}: missing`);
      else diffs.push(...shapeDiff(e[key], a[key], `${path}.${key}`));
    }
    for (const key of Object.keys(a))
      if (!(key in e)) diffs.push(`${path}.${key}: not in nearcore's response`);
    return diffs;
  }
  return [];
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8'));

describe('emulator wire shapes match nearcore', () => {
  let emulator: NearEmulator;
  let id = 200;
  const USDC = 'usdc.test.near';

  beforeAll(async () => {
    emulator = await startNearEmulator({
      waitTimeoutMs: 50,
      fungibleTokens: [{ contractId: USDC, symbol: 'USDC', decimals: 6 }],
    });
  });
  afterAll(() => emulator.close());

  async function rpc(method: string, params: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: String(id++), method, params }),
    });
    return { status: res.status, body: await res.json() };
  }

  function expectShape(name: string, actual: unknown) {
    expect({ fixture: name, diffs: shapeDiff(fixture(name), actual) }).toEqual({
      fixture: name,
      diffs: [],
    });
  }

  it('shapeDiff notices missing keys, extra keys and type changes', () => {
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: 2, b: { c: 'y' } })).toEqual([]);
    expect(shapeDiff({ a: 1 }, { a: '1' })).toEqual(['$.a: expected number, got string']);
    expect(shapeDiff({ a: 1 }, {})).toEqual(['$.a: missing']);
    expect(shapeDiff({ a: 1 }, { a: 1, z: null })).toEqual(["$.z: not in nearcore's response"]);
    expect(shapeDiff([{ a: 1 }], [{ a: 1 }, { b: 1 }])).toEqual([
      '$[1].a: missing',
      "$[1].b: not in nearcore's response",
    ]);
  });

  it('replays the script', async () => {
    const provider = createNearProvider({ url: emulator.url });
    const treasury = emulator.createAccount({
      accountId: 'treasury.test.near',
      amount: 1000n * 10n ** 24n,
    });
    emulator.setFtBalance(USDC, treasury.accountId, 1_000_000_000n);
    const signer = new KeyPairSigner(treasury.keyPair);
    const fcKey = KeyPair.fromRandom('ed25519').getPublicKey().toString();
    emulator.addAccessKey({
      accountId: treasury.accountId,
      publicKey: fcKey,
      permission: { receiverId: USDC, allowance: 10n ** 24n },
    });
    const poor = emulator.createAccount({ accountId: 'poor.test.near', amount: 1000n });

    // Node and chain views
    let r = await rpc('status', []);
    expectShape('status', r.body);
    r = await rpc('block', { finality: 'final' });
    expectShape('block', r.body);
    r = await rpc('gas_price', [null]);
    expectShape('gas-price', r.body);
    r = await rpc('EXPERIMENTAL_protocol_config', { finality: 'final' });
    expectShape('protocol-config', r.body);

    // Queries
    r = await rpc('query', {
      request_type: 'view_account',
      finality: 'final',
      account_id: treasury.accountId,
    });
    expectShape('query-view-account', r.body);
    r = await rpc('query', {
      request_type: 'view_access_key',
      finality: 'optimistic',
      account_id: treasury.accountId,
      public_key: treasury.publicKey,
    });
    expectShape('query-view-access-key', r.body);
    r = await rpc('query', {
      request_type: 'view_access_key',
      finality: 'optimistic',
      account_id: treasury.accountId,
      public_key: fcKey,
    });
    expectShape('query-view-access-key-function-call', r.body);
    r = await rpc('query', {
      request_type: 'view_access_key',
      finality: 'optimistic',
      account_id: treasury.accountId,
      public_key: KeyPair.fromRandom('ed25519').getPublicKey().toString(),
    });
    expectShape('query-access-key-missing', r.body);
    r = await rpc('query', {
      request_type: 'view_account',
      finality: 'final',
      account_id: 'nobody.test.near',
    });
    expect(r.status).toBe(200);
    expectShape('error-unknown-account', r.body);
    r = await rpc('query', {
      request_type: 'call_function',
      finality: 'optimistic',
      account_id: USDC,
      method_name: 'ft_balance_of',
      args_base64: Buffer.from(JSON.stringify({ account_id: treasury.accountId })).toString(
        'base64',
      ),
    });
    expectShape('query-call-function', r.body);
    expect(JSON.parse(Buffer.from(r.body.result.result).toString())).toBe('1000000000');

    // A successful FT payout, then its status with receipts
    const payout = await buildSignedTransaction({
      provider,
      signer,
      signerId: treasury.accountId,
      receiverId: USDC,
      actions: fungibleTokenPayoutActions({
        receiverId: 'bob.test.near',
        amount: 1_000_000n,
        storageDepositYocto: 1_250_000_000_000_000_000_000n,
        memo: 'grant:42',
      }),
    });
    emulator.createAccount({ accountId: 'bob.test.near' });
    r = await rpc('send_tx', { signed_tx_base64: payout.signedTxBase64, wait_until: 'FINAL' });
    expect(r.status).toBe(200);
    expectShape('send-tx-ft-payout-final', r.body);
    r = await rpc('EXPERIMENTAL_tx_status', {
      tx_hash: payout.hash,
      sender_account_id: treasury.accountId,
      wait_until: 'NONE',
    });
    const { receipts, ...withoutReceipts } = r.body.result;
    expectShape('experimental-tx-status-receipts', receipts.slice(0, 1));
    // Refund receipts carry a Transfer action instead of the FunctionCall (ActionView variants).
    for (const refund of receipts.slice(1)) {
      const { actions: refundActions, ...action } = refund.receipt.Action;
      expectShape('experimental-tx-status-receipts', [
        { ...refund, receipt: { Action: { ...action, actions: [] } } },
      ]);
      expectShape('transfer-action', refundActions[0]);
    }
    expect(shapeDiff((fixture('send-tx-ft-payout-final') as any).result, withoutReceipts)).toEqual(
      [],
    );
    r = await rpc('tx', [payout.hash, treasury.accountId]);
    expectShape('send-tx-ft-payout-final', r.body);

    // Send-time rejections (HTTP 200, INVALID_TRANSACTION)
    const reused = await buildSignedTransaction({
      provider,
      signer,
      signerId: treasury.accountId,
      receiverId: treasury.accountId,
      actions: nativeTransferActions(1n),
      nonce: payout.nonce,
    });
    r = await rpc('send_tx', { signed_tx_base64: reused.signedTxBase64, wait_until: 'FINAL' });
    expect(r.status).toBe(200);
    expectShape('error-invalid-nonce', r.body);
    const broke = await buildSignedTransaction({
      provider,
      signer: new KeyPairSigner(poor.keyPair),
      signerId: poor.accountId,
      receiverId: treasury.accountId,
      actions: nativeTransferActions(10n ** 24n),
    });
    r = await rpc('send_tx', { signed_tx_base64: broke.signedTxBase64, wait_until: 'FINAL' });
    expectShape('error-not-enough-balance', r.body);
    const stale = createTransaction(
      treasury.accountId,
      PublicKey.fromString(treasury.publicKey),
      treasury.accountId,
      payout.nonce + 10n,
      [actions.transfer(1n)],
      new Uint8Array(32).fill(9),
    );
    r = await rpc('send_tx', {
      signed_tx_base64: base64Encode(
        (await signer.signTransaction(stale)).signedTransaction.encode(),
      ),
      wait_until: 'FINAL',
    });
    expectShape('error-expired', r.body);

    // On-chain failures (results, not errors)
    const toNobody = await buildSignedTransaction({
      provider,
      signer,
      signerId: treasury.accountId,
      receiverId: 'nobody.test.near',
      actions: nativeTransferActions(10n ** 24n),
      nonce: payout.nonce + 1n,
    });
    r = await rpc('send_tx', {
      signed_tx_base64: toNobody.signedTxBase64,
      wait_until: 'EXECUTED_OPTIMISTIC',
    });
    expectShape('status-failure-account-does-not-exist', r.body.result.status);
    expectShape('transfer-action', r.body.result.transaction.actions[0]);
    const unregistered = await buildSignedTransaction({
      provider,
      signer,
      signerId: treasury.accountId,
      receiverId: USDC,
      nonce: payout.nonce + 2n,
      actions: [
        actions.functionCall(
          'ft_transfer',
          { receiver_id: 'carol.test.near', amount: '1' },
          30_000_000_000_000n,
          1n,
        ),
      ],
    });
    r = await rpc('send_tx', {
      signed_tx_base64: unregistered.signedTxBase64,
      wait_until: 'FINAL',
    });
    expectShape('status-failure-ft-panic', r.body.result.status);
    expect(r.body.result.status.Failure.ActionError.kind.FunctionCallError.ExecutionError).toBe(
      'Smart contract panicked: The account carol.test.near is not registered',
    );

    // NONE, unknown tx, timeout, unknown method, internal error
    const queued = await buildSignedTransaction({
      provider,
      signer,
      signerId: treasury.accountId,
      receiverId: treasury.accountId,
      actions: nativeTransferActions(1n),
      nonce: payout.nonce + 3n,
    });
    r = await rpc('send_tx', { signed_tx_base64: queued.signedTxBase64, wait_until: 'NONE' });
    expectShape('send-tx-none', r.body);
    r = await rpc('tx', {
      tx_hash: '9Gd5ZXWBXLDzHUSV6Vq5tE4eA8Uuc4MzZ3hN3qTH7FoF',
      sender_account_id: treasury.accountId,
      wait_until: 'NONE',
    });
    expect(r.status).toBe(200);
    expectShape('error-unknown-transaction', r.body);
    r = await rpc('tx', {
      tx_hash: '9Gd5ZXWBXLDzHUSV6Vq5tE4eA8Uuc4MzZ3hN3qTH7FoF',
      sender_account_id: treasury.accountId,
      wait_until: 'FINAL',
    });
    expect(r.status).toBe(408);
    expectShape('error-timeout', r.body);
    r = await rpc('foo', {});
    expect(r.status).toBe(400);
    expectShape('error-method-not-found', r.body);
    emulator.faults.httpError(500, { methods: ['status'] });
    r = await rpc('status', []);
    expect(r.status).toBe(500);
    expectShape('error-internal', r.body);
  });
});
