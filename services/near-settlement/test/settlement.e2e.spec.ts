import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { NearEmulator } from '@lib/testing';
import {
  chainPaymentsTo,
  eventually,
  finished,
  fresh,
  NEAR,
  type PayoutTail,
  payoutRow,
  releaseDisbursement,
  transactionsOf,
  USDC,
} from './harness';
import { type SettlementSuite, settlementSuite, staffToken, type Treasury } from './setup';

describe('near-settlement: DisbursementReleased → paid once on NEAR', () => {
  let emulator: NearEmulator;
  let app: INestApplication;
  let tail: PayoutTail;
  let treasury: Treasury;
  let payee: SettlementSuite['payee'];

  settlementSuite({ lanes: 2, near: 100n * NEAR }, async (suite) => {
    ({ emulator, tail, treasury, payee } = suite);
    app = await suite.startInProcess();
  });

  /** Releases 1 NEAR to `receiver`; `more` makes it another attempt or a copy of a release. */
  const releaseNear = (
    receiver: string,
    more: Partial<Parameters<typeof releaseDisbursement>[0]> = {},
  ) => releaseDisbursement({ receiver, asset: 'NEAR', amount: NEAR, ...more });

  const settledOnce = async (payoutId: string) => {
    const events = await eventually(() => {
      const list = tail.of(payoutId);
      return list.some((e) => e.type === 'PayoutSettled' || e.type === 'PayoutFailed')
        ? list
        : undefined;
    }, `final event of ${payoutId}`);
    return events;
  };

  it('pays NEAR: one transfer, PayoutSubmitted then PayoutSettled with hash and block', async () => {
    const receiver = payee();
    const { payoutId, disbursementId } = await releaseDisbursement({
      receiver,
      asset: 'NEAR',
      amount: 3n * NEAR,
    });
    expect((await finished(payoutId)).status).toBe('settled');
    expect(emulator.balanceOf(receiver)).toBe(4n * NEAR);
    const events = await settledOnce(payoutId);
    expect(events.map((e) => e.type)).toEqual(['PayoutSubmitted', 'PayoutSettled']);
    const [tx] = await transactionsOf(payoutId);
    expect(events[1]).toMatchObject({
      aggregateId: disbursementId,
      data: { txHash: tx.tx_hash, disbursementId, attempt: 1 },
    });
    expect(emulator.transaction(tx.tx_hash)?.success).toBe(true);
    expect(Number(events[1].data.blockHeight)).toBe(
      emulator.transaction(tx.tx_hash)!.includedHeight,
    );
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
  });

  it('pays USDC to an unregistered receiver: storage_deposit + ft_transfer in ONE transaction', async () => {
    const receiver = payee();
    expect(emulator.ftBalanceOf(USDC, receiver)).toBeUndefined();
    const { payoutId } = await releaseDisbursement({
      receiver,
      asset: 'USDC',
      amount: 2_500_500_000n,
    });
    expect((await finished(payoutId)).status).toBe('settled');
    expect(emulator.ftBalanceOf(USDC, receiver)).toBe(2_500_500_000n);
    const txs = await transactionsOf(payoutId);
    expect(txs).toHaveLength(1);
    const onChain = emulator.transaction(txs[0].tx_hash)!;
    const actions = (
      onChain.outcome.transaction as {
        actions: { FunctionCall: { method_name: string; deposit: string } }[];
      }
    ).actions;
    expect(actions.map((a) => a.FunctionCall.method_name)).toEqual([
      'storage_deposit',
      'ft_transfer',
    ]);
    expect(actions[1].FunctionCall.deposit).toBe('1');
    expect((await settledOnce(payoutId)).map((e) => e.type)).toEqual([
      'PayoutSubmitted',
      'PayoutSettled',
    ]);
  });

  it('pays USDC to a registered receiver (the storage deposit is refunded)', async () => {
    const receiver = payee();
    emulator.setFtBalance(USDC, receiver, 5n);
    const { payoutId } = await releaseDisbursement({ receiver, asset: 'USDC', amount: 10n });
    expect((await finished(payoutId)).status).toBe('settled');
    expect(emulator.ftBalanceOf(USDC, receiver)).toBe(15n);
  });

  it('a missing receiver fails once with the chain reason, and nothing is retried', async () => {
    const receiver = fresh('nobody');
    const { payoutId } = await releaseNear(receiver);
    const row = await finished(payoutId);
    expect(row.status).toBe('failed');
    expect(row.failure_reason).toBe(`AccountDoesNotExist: {"account_id":"${receiver}"}`);
    const events = await settledOnce(payoutId);
    expect(events.map((e) => e.type)).toEqual(['PayoutSubmitted', 'PayoutFailed']);
    expect(events[1].data.reason).toBe(row.failure_reason);
    expect(await transactionsOf(payoutId)).toHaveLength(1);
  });

  it('a new attempt after a failed one is a new payout and pays once', async () => {
    const receiver = fresh('late');
    const first = await releaseNear(receiver);
    expect((await finished(first.payoutId)).status).toBe('failed');
    emulator.createAccount({ accountId: receiver, amount: NEAR });
    const retry = await releaseNear(receiver, { disbursementId: first.disbursementId, attempt: 2 });
    expect((await finished(retry.payoutId)).status).toBe('settled');
    expect(emulator.balanceOf(receiver)).toBe(2n * NEAR);
    expect(chainPaymentsTo(emulator, receiver).filter((tx) => tx.success)).toHaveLength(1);
  });

  it('a second attempt released while the first may still land waits for it, and is never paid too', async () => {
    const receiver = payee();
    emulator.faults.timeoutWithoutApply({ times: 100_000, methods: ['send_tx', 'tx'] });
    try {
      const first = await releaseNear(receiver);
      await eventually(
        async () => ((await payoutRow(first.payoutId))?.status === 'broadcast' ? true : undefined),
        'first attempt in flight',
      );
      const second = await releaseNear(receiver, {
        disbursementId: first.disbursementId,
        attempt: 2,
      });
      // Recorded while the first may still land; a free lane is there, yet it must not sign.
      await eventually(() => payoutRow(second.payoutId), 'second attempt recorded');
      expect((await payoutRow(first.payoutId)).status).toBe('broadcast');
      emulator.faults.clear();
      expect((await finished(first.payoutId)).status).toBe('settled');
      const refused = await finished(second.payoutId);
      expect(refused.status).toBe('failed');
      expect(refused.failure_reason).toMatch(/already paid by attempt 1/);
      expect(await transactionsOf(second.payoutId)).toEqual([]);
      expect(emulator.balanceOf(receiver)).toBe(2n * NEAR);
    } finally {
      emulator.faults.clear();
    }
  });

  it('not enough NEAR fails once with NotEnoughBalance, never sent again', async () => {
    const receiver = payee();
    const { payoutId } = await releaseDisbursement({
      receiver,
      asset: 'NEAR',
      amount: 10_000n * NEAR,
    });
    const row = await finished(payoutId);
    expect(row.status).toBe('failed');
    expect(row.failure_reason).toMatch(/^NotEnoughBalance/);
    const events = await settledOnce(payoutId);
    expect(events.map((e) => e.type)).toEqual(['PayoutFailed']);
    expect(emulator.balanceOf(receiver)).toBe(NEAR);
    expect(await transactionsOf(payoutId)).toHaveLength(1);
  });

  it('not enough USDC fails with the contract panic', async () => {
    const receiver = payee();
    const { payoutId } = await releaseDisbursement({ receiver, asset: 'USDC', amount: 10n ** 30n });
    const row = await finished(payoutId);
    expect(row.status).toBe('failed');
    expect(row.failure_reason).toMatch(/Smart contract panicked/);
  });

  it('a redelivered DisbursementReleased (same event, and same attempt under a new id) pays once', async () => {
    const receiver = payee();
    const first = await releaseNear(receiver);
    await releaseNear(receiver, {
      disbursementId: first.disbursementId,
      eventId: first.envelope.eventId,
    });
    await releaseNear(receiver, { disbursementId: first.disbursementId });
    expect((await finished(first.payoutId)).status).toBe('settled');
    // A later attempt of a disbursement already paid is refused, never paid (and proves the
    // consumer got past the copies).
    const second = await releaseNear(receiver, {
      disbursementId: first.disbursementId,
      attempt: 2,
    });
    const refused = await finished(second.payoutId);
    expect(refused.status).toBe('failed');
    expect(refused.failure_reason).toMatch(/already paid by attempt 1/);
    expect(await transactionsOf(second.payoutId)).toEqual([]);
    expect(emulator.balanceOf(receiver)).toBe(2n * NEAR);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(1);
    expect(tail.of(first.payoutId).filter((e) => e.type === 'PayoutSettled')).toHaveLength(1);
  });

  it('spreads payouts over the lanes, nonces rising per lane', async () => {
    const receiver = payee();
    const released = await Promise.all(
      Array.from({ length: 6 }, () => releaseDisbursement({ receiver, asset: 'NEAR', amount: 1n })),
    );
    for (const r of released) expect((await finished(r.payoutId)).status).toBe('settled');
    const lanes = new Set<string>();
    for (const r of released) lanes.add((await payoutRow(r.payoutId)).lane!);
    expect(lanes.size).toBe(2);
    expect(chainPaymentsTo(emulator, receiver)).toHaveLength(6);
  });

  it('GET /v1/treasury/balances: treasurer and admin see balances per asset and lane', async () => {
    const token = (roles: ('treasurer' | 'admin' | 'founder')[]) => staffToken('staff-1', roles);
    const server = app.getHttpServer();
    await request(server).get('/v1/treasury/balances').expect(401);
    await request(server)
      .get('/v1/treasury/balances')
      .set('Authorization', `Bearer ${await token(['founder'])}`)
      .expect(403);
    const res = await request(server)
      .get('/v1/treasury/balances')
      .set('Authorization', `Bearer ${await token(['treasurer'])}`)
      .expect(200);
    expect(res.body.treasuryAccountId).toBe(treasury.accountId);
    expect(res.body.assets.map((a: { asset: string }) => a.asset)).toEqual(['NEAR', 'USDC']);
    const near = res.body.assets[0];
    expect(BigInt(near.baseUnits)).toBe(emulator.balanceOf(treasury.accountId));
    expect(res.body.lanes).toHaveLength(2);
    for (const lane of res.body.lanes) {
      expect(lane.drivenHere).toBe(true);
      expect(BigInt(lane.onChainNonce)).toBeLessThanOrEqual(BigInt(lane.ledgerNonce));
    }
    await request(server)
      .get('/v1/treasury/balances')
      .set('Authorization', `Bearer ${await token(['admin'])}`)
      .expect(200);
    // The chain not answering is the RPC's problem, said as such (502), not a 500.
    emulator.faults.httpError(503, { methods: '*' });
    const down = await request(server)
      .get('/v1/treasury/balances')
      .set('Authorization', `Bearer ${await token(['admin'])}`)
      .expect(502);
    expect(down.body.code).toBe('near_rpc_unavailable');
  });

  it('GET /metrics: payouts by status and lanes driven', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).toMatch(/settlement_payouts\{status="settled"\} [1-9]\d*/);
    expect(res.text).toMatch(/settlement_payouts\{status="failed"\} [1-9]\d*/);
    expect(res.text).toContain('settlement_lanes_driven 2');
  });
});
