import type { NearEmulator } from '@lib/testing';
import {
  chainPaymentsTo,
  eventually,
  finished,
  payoutRow,
  NEAR,
  type PayoutTail,
  releaseDisbursement,
  transactionsOf,
} from './harness';
import { type SettlementSuite, settlementSuite, type Treasury } from './setup';

jest.setTimeout(180_000);

const VALIDITY = 10;

/**
 * Audit fixes (DESIGN.md §5 step 5, README "Never paying twice"): a transaction that may have
 * been sent is never declared dead or refused on evidence that does not prove it never landed.
 * The service runs as a child process, SIGKILLed right after the broadcast (before it is
 * recorded), then restarted.
 */
describe('near-settlement: a possibly-sent transaction is never re-signed or failed on a guess', () => {
  let emulator: NearEmulator;
  let tail: PayoutTail;
  let env: Record<string, string>;
  let treasury: Treasury;
  let startChild: SettlementSuite['startChild'];
  let payee: SettlementSuite['payee'];

  settlementSuite({ group: 'sent', emulator: { transactionValidityPeriod: VALIDITY } }, (suite) => {
    ({ emulator, tail, env, treasury, startChild, payee } = suite);
  });

  async function crashAfterBroadcast(receiver: string, amount: bigint) {
    const crashing = await startChild({ ...env, SETTLEMENT_FAULT_CRASH_AT: 'after-broadcast' });
    const released = await releaseDisbursement({ receiver, asset: 'NEAR', amount });
    expect((await crashing.exited).signal).toBe('SIGKILL');
    expect((await payoutRow(released.payoutId))?.status).toBe('signed');
    const txs = await transactionsOf(released.payoutId);
    expect(txs).toHaveLength(1);
    return { ...released, tx: txs[0] };
  }

  // Runs first: the other test leaves its payout open on the only lane (as it must).
  it('a resend refused (NotEnoughBalance) after a possible first send is not a failure: paid once', async () => {
    const receiver = payee();
    const amount = 2n * NEAR;
    // The first copy goes out into a 408 (unknown fate), then the process dies before recording.
    emulator.faults.timeoutWithoutApply();
    const { payoutId, tx } = await crashAfterBroadcast(receiver, amount);
    expect(emulator.transaction(tx.tx_hash)).toBeUndefined();

    // On restart the resend is refused, and `tx` does not know it (as with a first copy pending).
    const account = emulator.chain.state.accounts.get(treasury.accountId)!;
    const funds = account.amount;
    account.amount = 1n;
    const before = emulator.requests().filter((m) => m === 'send_tx').length;
    const restarted = await startChild(env);
    await eventually(async () => {
      const row = await payoutRow(payoutId);
      if (row?.status === 'failed') return true;
      return emulator.requests().filter((m) => m === 'send_tx').length >= before + 3
        ? true
        : undefined;
    }, 'refused resends');
    expect((await payoutRow(payoutId))?.status).not.toBe('failed');

    // The "first copy" lands after all (funds back): the same transaction settles the payout.
    account.amount = funds;
    const row = await finished(payoutId, 90_000);
    await restarted.kill();
    expect(row.status).toBe('settled');
    const txs = await transactionsOf(payoutId);
    expect(txs.map((t) => [t.tx_hash, t.status])).toEqual([[tx.tx_hash, 'settled']]);
    expect(emulator.balanceOf(receiver)).toBe(NEAR + amount);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
    expect(tail.of(payoutId).filter((e) => e.type === 'PayoutFailed')).toHaveLength(0);
  });

  it('landed, forgotten by the node, expired, key nonce passed: not re-signed, one debit, discrepancy published', async () => {
    const receiver = payee();
    const amount = 3n * NEAR;
    const { payoutId, tx } = await crashAfterBroadcast(receiver, amount);
    // The broadcast landed; then the node garbage-collects it and the head moves past validity.
    expect(emulator.transaction(tx.tx_hash)).toBeDefined();
    expect(emulator.balanceOf(receiver)).toBe(NEAR + amount);
    expect(emulator.chain.forgetTransaction(tx.tx_hash)).toBe(true);
    emulator.stepBlocks(VALIDITY + 5);

    const restarted = await startChild(env);
    const discrepancy = await eventually(
      () => tail.of(payoutId).find((e) => e.type === 'ReconciliationDiscrepancyFound'),
      'ReconciliationDiscrepancyFound published',
      90_000,
    );
    expect(discrepancy.data).toMatchObject({
      kind: 'outcome_mismatch',
      payoutId,
      lane: tx.signer_public_key,
    });
    // Give the lane more rounds: it must keep the payout open and never sign a second one.
    const sendsAt = emulator.requests().length;
    await eventually(
      () => (emulator.requests().length > sendsAt + 20 ? true : undefined),
      'lane still polling',
    );
    await restarted.kill();

    const txs = await transactionsOf(payoutId);
    expect(txs).toHaveLength(1);
    expect(txs[0].status).not.toBe('dead');
    expect(['signed', 'broadcast']).toContain((await payoutRow(payoutId))?.status);
    // Exactly one debit: the receiver got the amount once, and no new transaction paid it.
    expect(emulator.balanceOf(receiver)).toBe(NEAR + amount);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(0);
    expect(tail.of(payoutId).filter((e) => e.type === 'PayoutFailed')).toHaveLength(0);
    expect(tail.of(payoutId).filter((e) => e.type === 'PayoutSettled')).toHaveLength(0);
  });
});
