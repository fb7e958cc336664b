import { randomUUID } from 'node:crypto';
import { limitLedger } from './limit-ledger';
import { ledgerTestBed } from './limit-ledger.int-harness';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

// Replicas' clocks differ (or one steps back): a reservation made by a replica whose clock is
// ahead is dated after another replica's `now`, and must still count against the limit there.
describe('limit ledger under clock skew (real PostgreSQL)', () => {
  const bed = ledgerTestBed('S');
  const t = new Date('2031-03-01T08:00:00.000Z');
  const at = (ms: number) => new Date(t.getTime() + ms);

  const reserve = (amount: bigint, ms: number) =>
    limitLedger.reserve(bed.client, {
      disbursementId: `${randomUUID()}-1`,
      attempt: 1,
      asset: bed.asset,
      amount,
      at: at(ms),
    });

  it('a reservation dated T+5 s (a replica ahead) is in usage(T)', async () => {
    await reserve(700n, 5 * SECOND);
    expect(await limitLedger.usage(bed.client, bed.asset, t)).toEqual({
      reserved: 700n,
      posted: 0n,
    });
  });

  it('a clock stepped back still sees what it reserved before, settled or not', async () => {
    await reserve(300n, 0);
    const settledId = `${randomUUID()}-1`;
    await limitLedger.reserve(bed.client, {
      disbursementId: settledId,
      attempt: 1,
      asset: bed.asset,
      amount: 200n,
      at: at(HOUR),
    });
    await limitLedger.post(bed.client, settledId, 1, at(HOUR + SECOND));
    // The clock stepped back by two hours: both releases lie in its future; both count.
    expect(await limitLedger.usage(bed.client, bed.asset, at(-2 * HOUR))).toEqual({
      reserved: 300n,
      posted: 200n,
    });
    // A future-dated one leaves the window 24 h after its own time, like any other.
    expect(await limitLedger.usage(bed.client, bed.asset, at(24 * HOUR))).toEqual({
      reserved: 0n,
      posted: 200n,
    });
    expect(await limitLedger.usage(bed.client, bed.asset, at(25 * HOUR))).toEqual({
      reserved: 0n,
      posted: 0n,
    });
  });
});
