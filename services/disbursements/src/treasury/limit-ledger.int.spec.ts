import { randomUUID } from 'node:crypto';
import { limitLedger } from './limit-ledger';
import { ledgerTestBed } from './limit-ledger.int-harness';

const HOUR = 3600_000;

describe('limit ledger (real PostgreSQL)', () => {
  const bed = ledgerTestBed('L');
  const t0 = new Date('2030-01-01T12:00:00.000Z');
  const at = (hours: number) => new Date(t0.getTime() + hours * HOUR);

  const reserve = (amount: bigint, hours: number, attempt = 1, id = `${randomUUID()}-1`) =>
    limitLedger
      .reserve(bed.client, { disbursementId: id, attempt, asset: bed.asset, amount, at: at(hours) })
      .then(() => id);

  it('counts what was released after now − 24 h, split into reserved and settled', async () => {
    await reserve(10n, 0);
    const settled = await reserve(20n, 1);
    await limitLedger.post(bed.client, settled, 1, at(2));
    await reserve(40n, 3); // dated after `now` below (a clock ahead): it counts already
    expect(await limitLedger.usage(bed.client, bed.asset, at(2))).toEqual({
      reserved: 50n,
      posted: 20n,
    });
    // Exactly 24 h after the first release it has left the window; a moment before it has not.
    expect(await limitLedger.usage(bed.client, bed.asset, new Date(at(24).getTime() - 1))).toEqual({
      reserved: 50n,
      posted: 20n,
    });
    expect(await limitLedger.usage(bed.client, bed.asset, at(24))).toEqual({
      reserved: 40n,
      posted: 20n,
    });
    expect(await limitLedger.usage(bed.client, bed.asset, at(27))).toEqual({
      reserved: 0n,
      posted: 0n,
    });
  });

  it('a void gives the amount back; a posted row is never voided; a settled void counts again', async () => {
    const failed = await reserve(5n, 0);
    await limitLedger.void(bed.client, failed, 1, at(1));
    expect(await limitLedger.usage(bed.client, bed.asset, at(1))).toEqual({
      reserved: 0n,
      posted: 0n,
    });
    const paid = await reserve(7n, 0);
    await limitLedger.post(bed.client, paid, 1, at(1));
    await limitLedger.void(bed.client, paid, 1, at(2));
    expect(await limitLedger.usage(bed.client, bed.asset, at(2))).toEqual({
      reserved: 0n,
      posted: 7n,
    });
    // The chain says the voided one settled after all: the money left, so it counts.
    await limitLedger.post(bed.client, failed, 1, at(3));
    expect(await limitLedger.usage(bed.client, bed.asset, at(3))).toEqual({
      reserved: 0n,
      posted: 12n,
    });
  });

  it('an outcome touches only its own attempt; one attempt is reserved once', async () => {
    const id = await reserve(3n, 0, 1);
    await reserve(3n, 1, 2, id);
    await limitLedger.void(bed.client, id, 1, at(1));
    expect(await limitLedger.usage(bed.client, bed.asset, at(1))).toEqual({
      reserved: 3n,
      posted: 0n,
    });
    await expect(reserve(3n, 1, 2, id)).rejects.toThrow(/duplicate key/);
  });
});
