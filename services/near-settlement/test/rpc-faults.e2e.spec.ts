import type { NearEmulator } from '@lib/testing';
import {
  chainPaymentsTo,
  eventually,
  finished,
  NEAR,
  payoutRow,
  type PayoutTail,
  releaseDisbursement,
  transactionsOf,
  USDC,
} from './harness';
import { type SettlementSuite, settlementSuite, type Treasury } from './setup';

const VALIDITY = 10;

describe('near-settlement under RPC faults: paid exactly once', () => {
  let emulator: NearEmulator;
  let tail: PayoutTail;
  let treasury: Treasury;
  let payee: SettlementSuite['payee'];

  settlementSuite(
    { emulator: { transactionValidityPeriod: VALIDITY, waitTimeoutMs: 200 } },
    async (suite) => {
      ({ emulator, tail, treasury, payee } = suite);
      await suite.startInProcess();
    },
  );

  async function payOnce(asset: 'NEAR' | 'USDC' = 'NEAR') {
    const receiver = payee();
    const amount = asset === 'NEAR' ? 2n * NEAR : 7_000_000n;
    const released = await releaseDisbursement({ receiver, asset, amount });
    const row = await finished(released.payoutId);
    expect(row.status).toBe('settled');
    if (asset === 'NEAR') expect(emulator.balanceOf(receiver)).toBe(3n * NEAR);
    else expect(emulator.ftBalanceOf(USDC, receiver)).toBe(amount);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
    const settled = await eventually(
      () => tail.of(released.payoutId).find((e) => e.type === 'PayoutSettled'),
      'PayoutSettled published',
    );
    expect(tail.of(released.payoutId).filter((e) => e.type === 'PayoutSettled')).toHaveLength(1);
    return { ...released, receiver, settled, txs: await transactionsOf(released.payoutId) };
  }

  it('408 after the chain applied it: found by tx status, one transaction, paid once', async () => {
    emulator.faults.timeoutAfterApply();
    const before = emulator.requests().length;
    const { txs, settled } = await payOnce();
    expect(txs).toHaveLength(1);
    expect(settled.data.txHash).toBe(txs[0].tx_hash);
    expect(emulator.requests().slice(before)).toContain('tx');
  });

  it('408 without applying: the same bytes are re-broadcast, paid once', async () => {
    emulator.faults.timeoutWithoutApply({ times: 3 });
    const before = emulator.requests().length;
    const { txs } = await payOnce('USDC');
    expect(txs).toHaveLength(1);
    expect(
      emulator
        .requests()
        .slice(before)
        .filter((m) => m === 'send_tx').length,
    ).toBeGreaterThanOrEqual(4);
  });

  it('dropped connection before the node saw it: re-broadcast, paid once', async () => {
    emulator.faults.dropConnection({ times: 2 });
    expect((await payOnce()).txs).toHaveLength(1);
  });

  it('dropped connection after the node applied it: paid once', async () => {
    emulator.faults.dropConnection({ afterApply: true });
    expect((await payOnce('USDC')).txs).toHaveLength(1);
  });

  it('500/503 from the RPC on send and on status: paid once', async () => {
    emulator.faults
      .httpError(503)
      .httpError(500, { methods: ['tx'] })
      .httpError(500);
    expect((await payOnce()).txs).toHaveLength(1);
  });

  it('included only at the next block after a 408: tx flips from unknown to known, paid once', async () => {
    emulator.faults.timeoutThenApplyAtNextBlock();
    expect((await payOnce()).txs).toHaveLength(1);
  });

  it('RPC silent past the validity period: proven dead (with proof), re-signed, paid once', async () => {
    emulator.faults.timeoutWithoutApply({ times: 10_000, methods: ['send_tx', 'tx'] });
    const receiver = payee();
    const released = await releaseDisbursement({ receiver, asset: 'NEAR', amount: NEAR });
    // The first transaction is stored and sent (into silence) …
    const [first] = await eventually(async () => {
      const txs = await transactionsOf(released.payoutId);
      return txs.length === 1 && emulator.requests().filter((m) => m === 'send_tx').length > 0
        ? txs
        : undefined;
    }, 'first transaction stored');
    await eventually(
      () => (emulator.faults.pending()[0]?.times ?? 0) < 10_000 - 5 || undefined,
      'service retrying into the silence',
    );
    expect(emulator.transaction(first.tx_hash)).toBeUndefined();
    // … the chain moves past its validity period, then the RPC answers again.
    emulator.stepBlocks(VALIDITY + 5);
    emulator.faults.clear();
    const row = await finished(released.payoutId);
    expect(row.status).toBe('settled');
    const txs = await transactionsOf(released.payoutId);
    expect(txs.map((t) => t.status)).toEqual(['dead', 'settled']);
    expect(txs[0].tx_hash).toBe(first.tx_hash);
    expect(txs[0].death_proof).toMatchObject({
      kind: 'expired',
      validityPeriod: VALIDITY,
      txNonce: first.nonce,
      chainKnowsTransaction: false,
    });
    // The proof includes the lane key's nonce at that head, below the transaction's.
    const proof = txs[0].death_proof as { accessKeyNonce: string };
    expect(BigInt(proof.accessKeyNonce)).toBeLessThan(BigInt(first.nonce));
    expect(BigInt(txs[1].nonce)).toBeGreaterThan(BigInt(txs[0].nonce));
    expect(emulator.transaction(first.tx_hash)).toBeUndefined();
    expect(emulator.balanceOf(receiver)).toBe(2n * NEAR);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
    await eventually(
      () => tail.of(released.payoutId).find((e) => e.type === 'PayoutSettled'),
      'settled event',
    );
    // Each transaction is submitted under its own hash; only the second settles.
    expect(tail.of(released.payoutId).map((e) => [e.type, e.data.txHash])).toEqual([
      ['PayoutSubmitted', txs[0].tx_hash],
      ['PayoutSubmitted', txs[1].tx_hash],
      ['PayoutSettled', txs[1].tx_hash],
    ]);
  });

  // Changed (audit): this test used to expect the transaction proven dead by "nonce passed" and
  // re-signed. A passed nonce with `tx` not knowing the transaction is no proof (it may have
  // landed and been garbage-collected, or another signer uses our key): never re-sign, keep the
  // payout open for an operator and publish a discrepancy (disbursements pauses on it).
  it('the lane key nonce passed an unsent transaction: not re-signed, left open, discrepancy published', async () => {
    emulator.faults.timeoutWithoutApply({ times: 10_000, methods: ['send_tx'] });
    const receiver = payee();
    const released = await releaseDisbursement({ receiver, asset: 'NEAR', amount: NEAR });
    const [first] = await eventually(async () => {
      const txs = await transactionsOf(released.payoutId);
      return txs.length === 1 ? txs : undefined;
    }, 'first transaction stored');
    // Someone else moves the key's nonce to exactly ours (the access key view shows it).
    emulator.addAccessKey({
      accountId: treasury.accountId,
      publicKey: first.signer_public_key,
      nonce: BigInt(first.nonce),
    });
    // Even past its validity period it is not proven dead: the key's nonce reached it.
    emulator.stepBlocks(VALIDITY + 5);
    emulator.faults.clear();
    const discrepancy = await eventually(
      () => tail.of(released.payoutId).find((e) => e.type === 'ReconciliationDiscrepancyFound'),
      'discrepancy published',
    );
    expect(discrepancy.data).toMatchObject({
      kind: 'outcome_mismatch',
      payoutId: released.payoutId,
    });
    const txs = await transactionsOf(released.payoutId);
    expect(txs).toHaveLength(1);
    expect(txs[0].status).not.toBe('dead');
    expect(['signed', 'broadcast']).toContain((await payoutRow(released.payoutId))?.status);
    expect(emulator.balanceOf(receiver)).toBe(NEAR);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(0);
  });
});
