import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PostgresEventStore } from '@lib/event-store';
import {
  broadcastSignedTransaction,
  buildSignedTransaction,
  createAssetRegistry,
  createNearProvider,
  nativeTransferActions,
  TreasurySigner,
} from '@lib/near';
import type { NearEmulator } from '@lib/testing';
import { reconcile } from '../src/reconciliation/reconciliation.handler';
import {
  eventually,
  finished,
  NEAR,
  type PayoutTail,
  pool,
  releaseDisbursement,
  transactionsOf,
  USDC,
} from './harness';
import { type SettlementSuite, settlementSuite, type Treasury } from './setup';

jest.setTimeout(120_000);

describe('near-settlement reconciliation with the chain', () => {
  let emulator: NearEmulator;
  let tail: PayoutTail;
  let treasury: Treasury;
  let env: Record<string, string>;
  let payee: SettlementSuite['payee'];
  const store = new PostgresEventStore(pool, 'near_settlement');
  const assets = createAssetRegistry({ network: 'local', localUsdcContractId: USDC });
  const run = () =>
    reconcile({
      pool,
      store,
      provider: createNearProvider({ url: emulator.url }),
      treasuryAccountId: treasury.accountId,
      assets,
    });

  settlementSuite({}, async (suite) => {
    ({ emulator, tail, treasury, env, payee } = suite);
    await suite.startInProcess();
  });

  async function pay(asset: 'NEAR' | 'USDC', amount: bigint) {
    const receiver = payee();
    const released = await releaseDisbursement({ receiver, asset, amount });
    expect((await finished(released.payoutId)).status).toBe('settled');
    return released;
  }

  function cli(): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          '@swc-node/register',
          'services/near-settlement/src/reconciliation/reconcile.cli.ts',
        ],
        {
          cwd: join(__dirname, '..', '..', '..'),
          env: { PATH: process.env.PATH ?? '', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', (code) => resolve({ code, output }));
    });
  }

  it('a ledger that agrees with the chain has no discrepancies (and `npm run reconcile` exits 0)', async () => {
    await pay('NEAR', 2n * NEAR);
    expect(await run()).toEqual([]); // first run: balance baselines
    await pay('NEAR', 3n * NEAR);
    await pay('USDC', 42_000_000n);
    expect(await run()).toEqual([]);
    const { code, output } = await cli();
    expect(output).toContain('no discrepancies');
    expect(code).toBe(0);
  });

  it('a transaction sent with a lane key from outside the service is reported (event published) and payouts go on', async () => {
    const outsider = TreasurySigner.fromKeyPair(treasury.accountId, treasury.keys[0]);
    const provider = createNearProvider({ url: emulator.url });
    const thief = payee('thief');
    const record = await buildSignedTransaction({
      provider,
      signer: outsider,
      signerId: treasury.accountId,
      receiverId: thief,
      actions: nativeTransferActions(7n * NEAR),
    });
    expect((await broadcastSignedTransaction(provider, record.signedTxBase64, 'FINAL')).kind).toBe(
      'success',
    );

    const found = await run();
    expect(found.map((d) => d.kind).sort()).toEqual(['balance_mismatch', 'foreign_nonce']);
    const foreign = found.find((d) => d.kind === 'foreign_nonce')!;
    expect(foreign).toMatchObject({
      lane: treasury.keys[0].getPublicKey().toString(),
      newlyReported: true,
    });
    expect(foreign.detail).toContain(String(record.nonce));
    const published = await eventually(
      () =>
        tail.envelopes.find(
          (e) =>
            e.type === 'ReconciliationDiscrepancyFound' &&
            e.data.discrepancyId === foreign.discrepancyId,
        ),
      'ReconciliationDiscrepancyFound published',
    );
    expect(published.data).toMatchObject({ kind: 'foreign_nonce', payoutId: null });

    // Found again, not reported again.
    const again = await run();
    expect(again.map((d) => d.discrepancyId).sort()).toEqual(
      found.map((d) => d.discrepancyId).sort(),
    );
    expect(again.every((d) => !d.newlyReported)).toBe(true);

    // The CLI lists them and exits 1.
    const { code, output } = await cli();
    expect(code).toBe(1);
    expect(output).toContain('foreign_nonce');
    expect(output).toContain('balance_mismatch');

    // The lane signs above the foreign nonce: the next payout still pays.
    const next = await pay('NEAR', NEAR);
    const [tx] = await transactionsOf(next.payoutId);
    expect(BigInt(tx.nonce)).toBeGreaterThan(record.nonce);
  });

  it('a ledger outcome the chain contradicts is an outcome_mismatch', async () => {
    const paid = await pay('NEAR', NEAR);
    const [tx] = await transactionsOf(paid.payoutId);
    // Simulate a ledger bug: the settled transaction recorded as proven dead.
    await pool.query(
      `UPDATE near_settlement.payout_transactions SET status = 'dead' WHERE tx_hash = $1`,
      [tx.tx_hash],
    );
    const found = await run();
    const mismatch = found.find((d) => d.kind === 'outcome_mismatch');
    expect(mismatch).toMatchObject({ payoutId: paid.payoutId, newlyReported: true });
    expect(mismatch!.detail).toContain(tx.tx_hash);
    await pool.query(
      `UPDATE near_settlement.payout_transactions SET status = 'settled' WHERE tx_hash = $1`,
      [tx.tx_hash],
    );
  });

  it('a transaction the node has since forgotten (garbage collection) is not a mismatch once verified', async () => {
    const paid = await pay('USDC', 5_000_000n);
    const [tx] = await transactionsOf(paid.payoutId);
    expect((await run()).filter((d) => d.payoutId === paid.payoutId)).toEqual([]);
    expect(emulator.chain.forgetTransaction(tx.tx_hash)).toBe(true);
    expect((await run()).filter((d) => d.payoutId === paid.payoutId)).toEqual([]);
  });
});
