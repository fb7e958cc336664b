import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { type AuthUser, CurrentUser, Roles } from '@lib/auth';
import { formatAmount } from '@lib/near';
import {
  IdempotencyInterceptor,
  PG_POOL,
  SERVICE_CONFIG,
  validateBody,
  withTransaction,
} from '@lib/platform';
import { TreasuryClock } from '../clock';
import type { DisbursementsConfig } from '../config';
import { StaffIdentityGuard } from '../disbursement/disbursement.controller';
import { DisbursementList } from '../disbursement/disbursement-list.projection';
import { grantInfo } from '../grant-info/grant-info.projection';
import { limitLedger } from './limit-ledger';
import { requiredToResume, type TreasuryState } from './treasury.decider';
import { pauseBody, resumeBody, runBody } from './treasury.dto';
import { TreasuryHandler } from './treasury.handler';
import { TreasuryMetrics } from './treasury-metrics';
import { TreasuryRun } from './treasury-run.handler';
import { policyFor, WINDOW_HOURS } from './treasury-policy';

const DISCREPANCIES_SHOWN = 100;

@Controller('v1/treasury')
@UseGuards(StaffIdentityGuard)
@UseInterceptors(IdempotencyInterceptor)
export class TreasuryController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
    private readonly treasury: TreasuryHandler,
    private readonly runs: TreasuryRun,
    private readonly list: DisbursementList,
    private readonly clock: TreasuryClock,
    private readonly metrics: TreasuryMetrics,
  ) {}

  @Get()
  @Roles('treasurer', 'admin')
  async get() {
    return this.view(await this.treasury.load());
  }

  @Post('runs')
  @HttpCode(200)
  @Roles('treasurer')
  async run(@Body() body: unknown) {
    validateBody(runBody, body);
    return (await this.runs.run({ wait: true }))!;
  }

  @Post('pause')
  @HttpCode(200)
  @Roles('treasurer')
  async pause(@CurrentUser() user: AuthUser, @Body() body: unknown) {
    const { reason } = validateBody(pauseBody, body);
    const { state } = await this.treasury.execute({
      type: 'PauseTreasury',
      data: reason ? { reason } : {},
      metadata: { now: this.clock.now(), actor: user },
    });
    return this.view(state);
  }

  @Post('resume')
  @HttpCode(200)
  @Roles('treasurer')
  async resume(@CurrentUser() user: AuthUser, @Body() body: unknown) {
    validateBody(resumeBody, body);
    const { state } = await this.treasury.execute({
      type: 'ResumeTreasury',
      data: {},
      metadata: { now: this.clock.now(), actor: user },
    });
    return this.view(state);
  }

  private async view(state: TreasuryState) {
    const now = this.clock.now();
    const { policy } = this.config;
    const format = (asset: string, units: bigint) =>
      formatAmount({ decimals: policyFor(policy, asset).decimals }, units);
    const limits = await withTransaction(this.pool, async (client) => {
      const rows = [];
      for (const a of policy.assets) {
        const usage = await limitLedger.usage(client, a.asset, now);
        this.metrics.setLimit(a.asset, usage);
        const left = a.dailyLimit - usage.posted - usage.reserved;
        rows.push({
          asset: a.asset,
          limit: format(a.asset, a.dailyLimit),
          used: format(a.asset, usage.posted),
          reserved: format(a.asset, usage.reserved),
          available: format(a.asset, left > 0n ? left : 0n),
          windowHours: WINDOW_HOURS,
        });
      }
      return rows;
    });
    this.metrics.setOpen(state);
    const pendingRows = await this.list.pending();
    const byStatus = (status: string) =>
      pendingRows
        .filter((r) => r.status === status)
        .map((r) => ({ asset: r.asset, count: r.count, amount: format(r.asset, r.amount) }));
    return {
      paused: state.paused,
      pause: state.pause,
      resume: { required: requiredToResume(state), approvals: state.resumeApprovals },
      policy: {
        kycRequired: policy.kycRequired,
        runIntervalSeconds: policy.runIntervalSeconds,
        windowHours: WINDOW_HOURS,
        assets: policy.assets.map((a) => ({
          asset: a.asset,
          dualApprovalThreshold:
            a.dualApprovalThreshold === null ? null : format(a.asset, a.dualApprovalThreshold),
          dailyLimit: format(a.asset, a.dailyLimit),
        })),
      },
      limits,
      pending: {
        awaitingApproval: byStatus('awaiting_approval'),
        approved: byStatus('approved'),
        held: byStatus('held'),
        released: byStatus('released'),
        failed: byStatus('failed'),
        waitingForGrant: await grantInfo.countPending(this.pool),
      },
      discrepancies: state.discrepancies.slice(-DISCREPANCIES_SHOWN),
    };
  }
}
