import request from 'supertest';
import type { NearEmulator } from '@lib/testing';
import {
  chainPaymentsTo,
  type ChildService,
  eventually,
  finished,
  NEAR,
  type PayoutTail,
  payoutRow,
  releaseDisbursement,
  USDC,
} from './harness';
import { type SettlementSuite, settlementSuite, staffToken } from './setup';

jest.setTimeout(180_000);

interface LaneView {
  publicKey: string;
  drivenHere: boolean;
}

describe('near-settlement with two replicas', () => {
  let emulator: NearEmulator;
  let tail: PayoutTail;
  let env: Record<string, string>;
  let startChild: SettlementSuite['startChild'];
  let payee: SettlementSuite['payee'];

  settlementSuite({ lanes: 2, group: 'replicas', emulator: { blockIntervalMs: 100 } }, (suite) => {
    ({ emulator, tail, env, startChild, payee } = suite);
  });

  const lanesOf = async (child: ChildService): Promise<LaneView[] | undefined> => {
    const token = await staffToken('ops', ['treasurer']);
    try {
      const res = await request(`http://127.0.0.1:${child.port}`)
        .get('/v1/treasury/balances')
        .set('Authorization', `Bearer ${token}`);
      return res.status === 200 ? (res.body.lanes as LaneView[]) : undefined;
    } catch {
      return undefined;
    }
  };

  const drivesEveryLane = (child: ChildService, what: string) =>
    eventually(
      async () => {
        const lanes = await lanesOf(child);
        return lanes && lanes.every((l) => l.drivenHere) ? lanes : undefined;
      },
      what,
      60_000,
    );

  it('each lane is driven by one replica; kill the active one mid-batch → the other takes over, nothing doubled or stuck', async () => {
    const a = await startChild(env);
    await drivesEveryLane(a, 'replica A drives both lanes');
    const b = await startChild(env);
    const bLanes = await eventually(() => lanesOf(b), 'replica B up', 60_000);
    // One driver per lane: B waits for the locks A holds.
    expect(bLanes.every((l) => !l.drivenHere)).toBe(true);

    const receivers = Array.from({ length: 12 }, () => payee());
    const released: Awaited<ReturnType<typeof releaseDisbursement>>[] = [];
    for (const [i, receiver] of receivers.entries()) {
      released.push(
        await releaseDisbursement({
          receiver,
          asset: i % 3 === 0 ? 'USDC' : 'NEAR',
          amount: i % 3 === 0 ? 1_000_000n : NEAR,
        }),
      );
    }
    // Mid-batch: some settled, not all.
    const settledAtKill = await eventually(async () => {
      let settled = 0;
      for (const r of released) if ((await payoutRow(r.payoutId))?.status === 'settled') settled++;
      return settled >= 2 ? settled : undefined;
    }, 'a few payouts settled');
    await a.kill();
    expect(settledAtKill).toBeLessThan(released.length);

    await drivesEveryLane(b, 'replica B took over both lanes');
    for (const r of released) expect((await finished(r.payoutId, 90_000)).status).toBe('settled');

    for (const [i, receiver] of receivers.entries()) {
      expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
      if (i % 3 === 0) expect(emulator.ftBalanceOf(USDC, receiver)).toBe(1_000_000n);
      else expect(emulator.balanceOf(receiver)).toBe(2n * NEAR);
    }
    for (const r of released) {
      await eventually(
        () => tail.of(r.payoutId).find((e) => e.type === 'PayoutSettled'),
        `PayoutSettled of ${r.payoutId}`,
      );
      expect(tail.of(r.payoutId).filter((e) => e.type === 'PayoutSettled')).toHaveLength(1);
    }
  });
});
