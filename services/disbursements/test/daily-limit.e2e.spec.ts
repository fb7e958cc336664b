import fc from 'fast-check';
import type { Pool } from 'pg';
import { disbursementId } from '@lib/contracts';
import type { RunResult } from '../src/treasury/treasury-run.handler';
import { TreasuryRun } from '../src/treasury/treasury-run.handler';
import { TreasuryClock } from '../src/clock';
import { DisbursementList } from '../src/disbursement/disbursement-list.projection';
import { auth, eventually, type Harness, testAsset } from './harness';
import { disbursementsSuite, post, type Upstream } from './setup';

// The rolling 24-hour limit under two replicas running at once, with random amounts.
// Each property run has its own token, so its limit is touched by nothing else.

const RUNS = 3;
const ASSETS = Array.from({ length: RUNS + 1 }, () => testAsset());
const UNIT = 1_000_000n; // 6 decimals
const LIMIT = 1_000n * UNIT;
const THRESHOLD = 300n * UNIT;
const DAY = 24 * 3600_000;

describe('daily limit as reservations: two replicas, random amounts', () => {
  let h: Harness;
  let up: Upstream;
  let pool: Pool;
  let alice: { sub: string; token: string };
  let bob: { sub: string; token: string };
  let next = 0;

  disbursementsSuite(
    { assets: ASSETS, threshold: '300', limit: '1000', replicas: 2 },
    async (suite) => {
      ({ h, up, pool } = suite);
      alice = await h.treasurer();
      bob = await h.treasurer();
    },
  );

  /** Both replicas run at once; each run is answered by one replica. */
  async function concurrentRuns(): Promise<RunResult[]> {
    const [a, b] = await Promise.all([
      h.replica(0).post('/v1/treasury/runs').set(auth(alice.token)).send({}),
      h.replica(1).post('/v1/treasury/runs').set(auth(bob.token)).send({}),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    return [a.body as RunResult, b.body as RunResult];
  }

  /**
   * Both replicas release at once *without* the run lock, each its own half of the grants, so
   * releases of one asset really overlap: only the per-release transaction (asset lock, ledger
   * check, release event and reservation together) keeps the limit.
   */
  async function concurrentUnlockedReleases(): Promise<RunResult[]> {
    const candidates = await h.replicas[0].get(DisbursementList).approved();
    const grants = [...new Set(candidates.map((c) => c.grantId))];
    const half = (i: number) => candidates.filter((c) => grants.indexOf(c.grantId) % 2 === i);
    const loop = async (i: number): Promise<RunResult> => {
      const run = h.replicas[i].get(TreasuryRun);
      const result: RunResult = { released: [], waiting: [] };
      for (const candidate of half(i)) {
        try {
          result.released.push({ id: candidate.id, attempt: await run.releaseOne(candidate) });
        } catch (error) {
          const reason = (error as { reason?: RunResult['waiting'][number]['reason'] }).reason;
          if (!reason) throw error;
          result.waiting.push({ id: candidate.id, reason });
        }
      }
      return result;
    };
    return Promise.all([loop(0), loop(1)]);
  }

  async function reservations(asset: string) {
    const { rows } = await pool.query<{
      disbursement_id: string;
      attempt: number;
      amount: string;
      status: string;
      reserved_at: Date;
    }>(
      `SELECT disbursement_id, attempt, amount::text, status, reserved_at
       FROM disbursements.limit_reservations WHERE asset = $1 ORDER BY reserved_at`,
      [asset],
    );
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }

  /** Every 24-hour window ending at a release: reserved + settled ≤ limit (voided ones are given back). */
  async function assertNoWindowOverLimit(asset: string) {
    const live = (await reservations(asset)).filter((r) => r.status !== 'voided');
    for (const end of live) {
      const inWindow = live.filter(
        (r) =>
          r.reserved_at.getTime() > end.reserved_at.getTime() - DAY &&
          r.reserved_at.getTime() <= end.reserved_at.getTime(),
      );
      expect(inWindow.reduce((s, r) => s + r.amount, 0n)).toBeLessThanOrEqual(LIMIT);
    }
  }

  /** Amount in the current window, as of the latest release (what the next run counts). */
  async function windowTotal(asset: string, now: Date): Promise<bigint> {
    return (await reservations(asset))
      .filter(
        (r) =>
          r.status !== 'voided' &&
          r.reserved_at.getTime() > now.getTime() - DAY &&
          r.reserved_at.getTime() <= now.getTime(),
      )
      .reduce((s, r) => s + r.amount, 0n);
  }

  it('never exceeds the limit in any 24 h window; the rest wait as daily_limit; the window moving on and failures release them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 400_000_000 }), { minLength: 50, maxLength: 60 }),
        async (amounts) => {
          const asset = ASSETS[next++];
          // Five tranches per grant.
          const ids: string[] = [];
          const amountOf = new Map<string, bigint>();
          for (let start = 0; start < amounts.length; start += 5) {
            const chunk = amounts.slice(start, start + 5).map(String);
            const grant = await up.activateGrant({ asset, amounts: chunk });
            await up.kyc(grant.grantId, 'verified');
            for (const [i, amount] of chunk.entries()) {
              await up.acceptMilestone(grant, i + 1, amount);
              const id = disbursementId(grant.grantId, i + 1);
              ids.push(id);
              amountOf.set(id, BigInt(amount));
            }
          }
          const mine = new Set(ids);
          await eventually(async () => {
            const res = await h
              .api()
              .get(`/v1/disbursements?asset=${asset}&limit=100`)
              .set(auth(alice.token));
            return res.body.items?.length === ids.length ? true : undefined;
          }, 60_000);
          for (const id of ids) {
            await post(h, `/v1/disbursements/${id}/approve`, alice.token).expect(200);
            if (amountOf.get(id)! >= THRESHOLD) {
              await post(h, `/v1/disbursements/${id}/approve`, bob.token).expect(200);
            }
          }

          const released = new Map<string, number>();
          const record = (results: RunResult[]) => {
            for (const r of results.flatMap((x) => x.released)) {
              if (!mine.has(r.id)) continue;
              expect(released.has(r.id)).toBe(false); // never released twice
              released.set(r.id, r.attempt);
            }
          };
          /** After a round: within the limit, and nothing that still waits would have fitted. */
          const checkRound = async (results: RunResult[]) => {
            record(results);
            await assertNoWindowOverLimit(asset);
            const now = h.replicas[0].get(TreasuryClock).now();
            const left = LIMIT - (await windowTotal(asset, now));
            for (const result of results) {
              for (const w of result.waiting.filter((x) => mine.has(x.id) && !released.has(x.id))) {
                expect(w.reason).toBe('daily_limit');
                expect(amountOf.get(w.id)!).toBeGreaterThan(left);
              }
            }
            const waiting = [...mine].filter((id) => !released.has(id));
            for (const id of waiting) expect(amountOf.get(id)!).toBeGreaterThan(left);
          };

          await checkRound(await concurrentRuns());
          const first = [...released.keys()];
          expect(first.length).toBeGreaterThan(0);

          // A definitive failure gives its amount back to the window.
          const failedId = first[0];
          await up.payoutFailed(failedId, 1);
          await eventually(async () => {
            const r = (await reservations(asset)).find((x) => x.disbursement_id === failedId);
            return r?.status === 'voided' ? true : undefined;
          });
          released.delete(failedId);
          mine.delete(failedId);
          await checkRound(await concurrentUnlockedReleases());

          // The window moves on: the waiting ones go, at most a limit's worth per day.
          for (let day = 0; released.size < mine.size; day++) {
            expect(day).toBeLessThan(ids.length);
            h.advance(DAY + 1000);
            await checkRound(
              day % 2 === 0 ? await concurrentRuns() : await concurrentUnlockedReleases(),
            );
          }
          expect(new Set(released.keys())).toEqual(mine);
          await assertNoWindowOverLimit(asset);
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
