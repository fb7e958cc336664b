import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signDevToken } from '@lib/auth';
import { TOPICS } from '@lib/contracts';
import { startNearEmulator, type NearEmulator } from '@lib/testing';
import {
  chainPaymentsTo,
  closeShared,
  createTreasury,
  eventually,
  finished,
  fresh,
  JWT_SECRET,
  NEAR,
  PayoutTail,
  payoutRow,
  releaseDisbursement,
  settlementEnv,
  startChild,
  startGroupAtEnd,
  USDC,
  type ChildService,
} from './harness';

jest.setTimeout(180_000);

interface LaneView {
  publicKey: string;
  drivenHere: boolean;
}

describe('near-settlement with two replicas', () => {
  let emulator: NearEmulator;
  let tail: PayoutTail;
  const children: ChildService[] = [];

  beforeAll(async () => {
    emulator = await startNearEmulator({
      blockIntervalMs: 100,
      fungibleTokens: [{ contractId: USDC, symbol: 'USDC', decimals: 6 }],
    });
    tail = await new PayoutTail().start();
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await tail?.stop();
    await emulator?.close();
    await closeShared();
  });

  const lanesOf = async (child: ChildService): Promise<LaneView[] | undefined> => {
    const token = await signDevToken({ sub: 'ops', roles: ['treasurer'], ttl: '1h' }, JWT_SECRET, {
      issuer: 'incubator-dev',
      audience: 'incubator-api',
    });
    try {
      const res = await request(`http://127.0.0.1:${child.port}`)
        .get('/v1/treasury/balances')
        .set('Authorization', `Bearer ${token}`);
      return res.status === 200 ? (res.body.lanes as LaneView[]) : undefined;
    } catch {
      return undefined;
    }
  };

  it('each lane is driven by one replica; kill the active one mid-batch → the other takes over, nothing doubled or stuck', async () => {
    const treasury = createTreasury(emulator, { lanes: 2 });
    const env = settlementEnv(emulator, treasury, {
      SETTLEMENT_CONSUMER_GROUP: `settlement-replicas-${randomUUID().slice(0, 8)}`,
    });
    await startGroupAtEnd(env.SETTLEMENT_CONSUMER_GROUP, TOPICS.disbursement);
    const a = await startChild(env);
    children.push(a);
    await eventually(
      async () => {
        const lanes = await lanesOf(a);
        return lanes && lanes.every((l) => l.drivenHere) ? lanes : undefined;
      },
      'replica A drives both lanes',
      60_000,
    );
    const b = await startChild(env);
    children.push(b);
    const bLanes = await eventually(() => lanesOf(b), 'replica B up', 60_000);
    // One driver per lane: B waits for the locks A holds.
    expect(bLanes.every((l) => !l.drivenHere)).toBe(true);

    const receivers = Array.from({ length: 12 }, () => fresh('founder'));
    for (const r of receivers) emulator.createAccount({ accountId: r, amount: NEAR });
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

    await eventually(
      async () => {
        const lanes = await lanesOf(b);
        return lanes && lanes.every((l) => l.drivenHere) ? lanes : undefined;
      },
      'replica B took over both lanes',
      60_000,
    );
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
