import { randomUUID } from 'node:crypto';
import { TOPICS } from '@lib/contracts';
import { startNearEmulator, type NearEmulator } from '@lib/testing';
import { CRASH_POINTS } from '../src/config';
import {
  chainPaymentsTo,
  closeShared,
  createTreasury,
  eventually,
  finished,
  fresh,
  NEAR,
  PayoutTail,
  releaseDisbursement,
  settlementEnv,
  startChild,
  startGroupAtEnd,
  transactionsOf,
  USDC,
  type ChildService,
} from './harness';

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
  const children: ChildService[] = [];

  beforeAll(async () => {
    emulator = await startNearEmulator({
      fungibleTokens: [{ contractId: USDC, symbol: 'USDC', decimals: 6 }],
    });
    const treasury = createTreasury(emulator, { lanes: 1 });
    env = settlementEnv(emulator, treasury, {
      SETTLEMENT_CONSUMER_GROUP: `settlement-crash-${randomUUID().slice(0, 8)}`,
    });
    await startGroupAtEnd(env.SETTLEMENT_CONSUMER_GROUP, TOPICS.disbursement);
    tail = await new PayoutTail().start();
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await tail?.stop();
    await emulator?.close();
    await closeShared();
  });

  it.each(CRASH_POINTS.map((point, i) => [point, i % 2 === 0 ? 'NEAR' : 'USDC'] as const))(
    'killed %s (%s payout): restarted, paid exactly once, final event once',
    async (point, asset) => {
      const receiver = fresh('founder');
      emulator.createAccount({ accountId: receiver, amount: NEAR });
      const amount = asset === 'NEAR' ? 5n * NEAR : 123_000_000n;

      const crashing = await startChild({ ...env, SETTLEMENT_FAULT_CRASH_AT: point });
      children.push(crashing);
      const { payoutId } = await releaseDisbursement({ receiver, asset, amount });
      const exit = await crashing.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(crashing.output()).toContain(`crash injected at ${point}`);

      const restarted = await startChild(env);
      children.push(restarted);
      const row = await finished(payoutId, 90_000);
      expect(row.status).toBe('settled');
      const final = await eventually(
        () => tail.of(payoutId).find((e) => e.type === 'PayoutSettled'),
        'PayoutSettled published',
        60_000,
      );
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
      if (point === 'after-event') {
        // Killed after Kafka acknowledged the batch, before the relay's checkpoint: the restarted
        // relay publishes it again under the same event id (consumers dedupe by it).
        await eventually(
          () => tail.deliveries(payoutId, 'PayoutSettled').length >= 2 || undefined,
          'second delivery of PayoutSettled',
        );
        expect(new Set(tail.deliveries(payoutId, 'PayoutSettled').map((e) => e.eventId)).size).toBe(
          1,
        );
      }
      if (point === 'after-sign') {
        // The signed bytes never reached the ledger: a fresh transaction paid it.
        expect(txs).toHaveLength(1);
      }
    },
  );
});
