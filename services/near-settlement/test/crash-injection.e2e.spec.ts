import type { NearEmulator } from '@lib/testing';
import { CRASH_POINTS } from '../src/config';
import {
  chainPaymentsTo,
  eventually,
  finished,
  payoutRow,
  pool,
  NEAR,
  type PayoutTail,
  releaseDisbursement,
  transactionsOf,
  USDC,
} from './harness';
import { type SettlementSuite, settlementSuite } from './setup';

jest.setTimeout(180_000);

/**
 * The service as a child process, SIGKILLed at each step boundary by the test-only hook
 * (SETTLEMENT_FAULT_CRASH_AT), then started again without it: every disbursement is paid exactly
 * once on chain and its final event is published once.
 */
describe('near-settlement crash injection (child process, SIGKILL at each step)', () => {
  let emulator: NearEmulator;
  let tail: PayoutTail;
  let env: Record<string, string>;
  let startChild: SettlementSuite['startChild'];
  let payee: SettlementSuite['payee'];

  settlementSuite({ group: 'crash' }, (suite) => {
    ({ emulator, tail, env, startChild, payee } = suite);
  });

  it.each(CRASH_POINTS.map((point, i) => [point, i % 2 === 0 ? 'NEAR' : 'USDC'] as const))(
    'killed %s (%s payout): restarted, paid exactly once, final event once',
    async (point, asset) => {
      const receiver = payee();
      const amount = asset === 'NEAR' ? 5n * NEAR : 123_000_000n;

      const crashing = await startChild({ ...env, SETTLEMENT_FAULT_CRASH_AT: point });
      const { payoutId } = await releaseDisbursement({ receiver, asset, amount });
      const exit = await crashing.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(crashing.output()).toContain(`crash injected at ${point}`);

      const restarted = await startChild(env);
      const row = await finished(payoutId, 90_000);
      expect(row.status).toBe('settled');
      const final = await eventually(
        () => tail.of(payoutId).find((e) => e.type === 'PayoutSettled'),
        'PayoutSettled published',
        60_000,
      );
      if (point === 'after-event') {
        // Killed after Kafka acknowledged the batch, before the relay's checkpoint: the restarted
        // relay publishes it again under the same event id (consumers dedupe by it).
        await eventually(
          () => tail.deliveries(payoutId, 'PayoutSettled').length >= 2 || undefined,
          'second delivery of PayoutSettled',
          60_000,
        );
        expect(new Set(tail.deliveries(payoutId, 'PayoutSettled').map((e) => e.eventId)).size).toBe(
          1,
        );
      }
      await restarted.kill();

      // Exactly once on chain: one included transaction, the balance moved once.
      expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
      if (asset === 'NEAR') expect(emulator.balanceOf(receiver)).toBe(NEAR + amount);
      else expect(emulator.ftBalanceOf(USDC, receiver)).toBe(amount);
      const txs = await transactionsOf(payoutId);
      expect(txs.filter((t) => t.status === 'settled')).toHaveLength(1);
      expect(final.data.txHash).toBe(txs.find((t) => t.status === 'settled')!.tx_hash);
      // One final event (a crash between Kafka ack and checkpoint may deliver it again, same id).
      expect(tail.of(payoutId).filter((e) => e.type === 'PayoutSettled')).toHaveLength(1);
      expect(new Set(tail.deliveries(payoutId, 'PayoutSettled').map((e) => e.eventId)).size).toBe(
        1,
      );
      if (point === 'after-sign') {
        // The signed bytes never reached the ledger: a fresh transaction paid it.
        expect(txs).toHaveLength(1);
      }
    },
  );

  it('on start, a payout left signed is resumed before new work is taken', async () => {
    const receivers = [payee(), payee()];
    // Hold the lane's first RPC read so that both releases are recorded before it signs.
    emulator.faults.delay(1500, { methods: ['query'] });
    const crashing = await startChild({ ...env, SETTLEMENT_FAULT_CRASH_AT: 'after-store' });
    const released = [];
    for (const receiver of receivers) {
      released.push(await releaseDisbursement({ receiver, asset: 'NEAR', amount: NEAR }));
    }
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const rows = await Promise.all(released.map((r) => payoutRow(r.payoutId)));
    expect(rows.map((r) => r?.status).sort()).toEqual(['requested', 'signed']);
    const left = released[rows.findIndex((r) => r?.status === 'signed')];
    const waiting = released[rows.findIndex((r) => r?.status === 'requested')];

    const restarted = await startChild(env);
    for (const r of released) expect((await finished(r.payoutId, 90_000)).status).toBe('settled');
    await restarted.kill();
    const { rows: times } = await pool.query<{
      payout_id: string;
      finished_at: Date;
      signed_at: Date;
    }>(
      `SELECT p.payout_id, p.finished_at, t.signed_at FROM near_settlement.payouts p
       JOIN near_settlement.payout_transactions t ON t.tx_hash = p.current_tx_hash
       WHERE p.payout_id = ANY($1)`,
      [released.map((r) => r.payoutId)],
    );
    const byId = new Map(times.map((t) => [t.payout_id, t]));
    expect(byId.get(waiting.payoutId)!.signed_at.getTime()).toBeGreaterThanOrEqual(
      byId.get(left.payoutId)!.finished_at.getTime(),
    );
    for (const r of receivers) expect(chainPaymentsTo(emulator, r)).toHaveLength(1);
  });
});
