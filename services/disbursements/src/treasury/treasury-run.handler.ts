import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL, ProblemError, SERVICE_CONFIG, withTransaction } from '@lib/platform';
import { TreasuryClock } from '../clock';
import type { DisbursementsConfig } from '../config';
import { DisbursementHandler, DisbursementProblem } from '../disbursement/disbursement.handler';
import type { WaitingReason } from '../disbursement/disbursement.errors';
import { DisbursementList } from '../disbursement/disbursement-list.projection';
import { grantInfo, lockGrant } from '../grant-info/grant-info.projection';
import { limitLedger } from './limit-ledger';
import { lockTreasuryShared, TreasuryHandler } from './treasury.handler';
import { TreasuryMetrics } from './treasury-metrics';
import { policyFor } from './treasury-policy';

const RUN_LOCK = 'disbursements:treasury-run';
const RUN_SYSTEM_ACTOR = { sub: 'system:treasury-run', roles: [] as string[] };

export interface RunResult {
  released: { id: string; attempt: number }[];
  waiting: { id: string; reason: WaitingReason }[];
}

/**
 * The treasury run. One at a time across replicas (a session advisory lock); each release is its
 * own transaction that takes the treasury state (shared), the asset's limit lock and the grant's
 * lock, reads the gates, decides, appends `DisbursementReleased` and reserves the amount — so the
 * ledger check and the release commit together, and no two releases of one asset interleave.
 */
@Injectable()
export class TreasuryRun {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
    private readonly disbursements: DisbursementHandler,
    private readonly list: DisbursementList,
    private readonly treasury: TreasuryHandler,
    private readonly clock: TreasuryClock,
    private readonly metrics: TreasuryMetrics,
  ) {}

  /**
   * `wait`: queue behind a run in progress (an HTTP call); otherwise skip when one is running
   * (the schedule) and answer null.
   */
  async run(options: { wait: boolean }): Promise<RunResult | null> {
    const session = await this.pool.connect();
    let broken: Error | undefined;
    try {
      if (options.wait) {
        try {
          await session.query(`SET lock_timeout = '30s'`);
          await session.query('SELECT pg_advisory_lock(hashtext($1))', [RUN_LOCK]);
        } catch (error) {
          if ((error as { code?: string }).code === '55P03') {
            throw new ProblemError(409, 'run_in_progress', 'another treasury run is still going');
          }
          throw error;
        } finally {
          await session.query('RESET lock_timeout');
        }
      } else {
        const { rows } = await session.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1)) AS ok',
          [RUN_LOCK],
        );
        if (!rows[0].ok) return null;
      }
      try {
        const result = await this.releaseApproved();
        // Every asset, also when nothing was released: the window slides with time.
        await this.metrics.refreshLimits();
        return result;
      } finally {
        await session
          .query('SELECT pg_advisory_unlock(hashtext($1))', [RUN_LOCK])
          .catch((e: Error) => {
            broken = e;
          });
      }
    } finally {
      session.release(broken);
    }
  }

  private async releaseApproved(): Promise<RunResult> {
    const result: RunResult = { released: [], waiting: [] };
    for (const candidate of await this.list.approved()) {
      try {
        const attempt = await this.releaseOne(candidate);
        result.released.push({ id: candidate.id, attempt });
      } catch (error) {
        if (error instanceof DisbursementProblem && error.reason) {
          result.waiting.push({ id: candidate.id, reason: error.reason });
        } else if (!(error instanceof ProblemError)) {
          throw error;
        }
        // Any other rule (cancelled or changed meanwhile): no longer a candidate.
      }
    }
    return result;
  }

  /**
   * One release in its own transaction: the attempt released, or a DisbursementProblem with the
   * reason it waits. Public so a test can run releases of one asset concurrently without the run lock.
   */
  releaseOne(candidate: { id: string; grantId: string; asset: string }): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      await lockTreasuryShared(client);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `disbursements:limit:${candidate.asset}`,
      ]);
      await lockGrant(client, candidate.grantId);
      const now = this.clock.now();
      const treasury = await this.treasury.load(client);
      const grant = await grantInfo.get(client, candidate.grantId);
      const assetPolicy = policyFor(this.config.policy, candidate.asset);
      const usage = await limitLedger.usage(client, candidate.asset, now);
      const remaining = assetPolicy.dailyLimit - usage.reserved - usage.posted;
      const { newEvents } = await this.disbursements.execute(
        candidate.id,
        {
          type: 'ReleaseDisbursement',
          data: {
            policy: assetPolicy,
            gates: {
              paused: treasury.paused,
              kycRequired: this.config.policy.kycRequired,
              grant,
              limitRemaining: remaining > 0n ? remaining : 0n,
            },
          },
          metadata: { now, actor: RUN_SYSTEM_ACTOR },
        },
        { client },
      );
      const released = newEvents.find((e) => e.type === 'DisbursementReleased');
      if (!released || released.type !== 'DisbursementReleased') {
        throw new Error(`release of ${candidate.id} decided no release`);
      }
      await limitLedger.reserve(client, {
        disbursementId: candidate.id,
        attempt: released.data.attempt,
        asset: released.data.asset,
        amount: BigInt(released.data.amount),
        at: now,
      });
      return released.data.attempt;
    });
  }
}
