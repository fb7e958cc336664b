import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { JsonRpcProvider } from 'near-api-js';
import { Logger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { TOPICS } from '@lib/contracts';
import { EventStoreModule, type PostgresEventStore } from '@lib/event-store';
import { createNearProvider, resolveNearNetwork, type AssetRegistry } from '@lib/near';
import { counter, gauge, PG_POOL, SERVICE_CONFIG } from '@lib/platform';
import type { NearSettlementConfig } from './config';
import { CrashHook } from './crash-injection';
import { LaneSupervisor } from './lane/lane.supervisor';
import { PayoutDriver } from './lane/payout.driver';
import { loadSignerLanes, treasuryAccountOf, type SignerLane } from './lane/signer-lanes.config';
import { DisbursementReleasedConsumer } from './payout/payout.consumer';
import { PayoutLedger } from './payout/payout.handler';
import { payoutOutbound } from './payout/payout.outbound';
import { reconcile } from './reconciliation/reconciliation.handler';
import {
  NEAR_ASSETS,
  NEAR_PROVIDER,
  PAYOUT_EVENT_STORE,
  SIGNER_LANES,
  TREASURY_ACCOUNT,
} from './tokens';
import { TreasuryController } from './treasury/treasury.controller';

const PAYOUT_STATUSES = ['requested', 'signed', 'broadcast', 'settled', 'failed'] as const;
/** What the gauges read at scrape time: the running module (one per process outside tests). */
let metricsSource: { payouts(): Promise<Map<string, number>>; lanesDriven(): number } | undefined;
gauge(
  'settlement_payouts',
  'Payouts of this treasury in the ledger, by status',
  ['status'],
  async function () {
    const counts =
      (await metricsSource?.payouts().catch(() => undefined)) ?? new Map<string, number>();
    for (const status of PAYOUT_STATUSES) this.set({ status }, counts.get(status) ?? 0);
  },
);
gauge('settlement_lanes_driven', 'Signer lanes this replica drives now', [], function () {
  this.set(metricsSource?.lanesDriven() ?? 0);
});
const discrepancies = counter(
  'settlement_reconciliation_discrepancies_total',
  'Reconciliation discrepancies newly found, by kind',
  ['kind'],
);
const FINAL_EVENTS = new Set(['PayoutSettled', 'PayoutFailed']);

/**
 * Settlement: DisbursementReleased → payout ledger → signer lanes pay on NEAR; the relay
 * publishes the Payout's public events from the event log; reconciliation on a schedule.
 */
@Module({
  imports: [
    EventStoreModule.forService({
      token: PAYOUT_EVENT_STORE,
      relays: [
        {
          topic: TOPICS.payout,
          toMessage: payoutOutbound,
          lockRetryMs: 500,
          inject: [CrashHook],
          extras: (crash: CrashHook) => ({
            afterPublish: async (events) => {
              const final = (e: { type: string; data: Record<string, unknown> }) =>
                FINAL_EVENTS.has(e.type) && crash.finishedByThisProcess(e.data.payoutId);
              if (crash.enabled && events.some(final)) crash.at('after-event');
            },
          }),
        },
      ],
    }),
  ],
  controllers: [DisbursementReleasedConsumer, TreasuryController],
  providers: [
    {
      provide: PayoutLedger,
      inject: [PG_POOL, PAYOUT_EVENT_STORE],
      useFactory: (pool: Pool, store: PostgresEventStore) => new PayoutLedger(pool, store),
    },
    {
      provide: NEAR_PROVIDER,
      inject: [SERVICE_CONFIG],
      useFactory: (config: NearSettlementConfig) =>
        createNearProvider({ url: resolveNearNetwork(config).rpcUrl }),
    },
    {
      provide: NEAR_ASSETS,
      inject: [SERVICE_CONFIG],
      useFactory: (config: NearSettlementConfig) => resolveNearNetwork(config).assets,
    },
    {
      provide: TREASURY_ACCOUNT,
      inject: [SERVICE_CONFIG],
      useFactory: (config: NearSettlementConfig) => treasuryAccountOf(config),
    },
    {
      provide: SIGNER_LANES,
      inject: [SERVICE_CONFIG],
      useFactory: (config: NearSettlementConfig) => loadSignerLanes(config),
    },
    {
      provide: CrashHook,
      inject: [SERVICE_CONFIG],
      useFactory: (config: NearSettlementConfig) => new CrashHook(config.SETTLEMENT_FAULT_CRASH_AT),
    },
    {
      provide: PayoutDriver,
      inject: [
        PG_POOL,
        PayoutLedger,
        NEAR_PROVIDER,
        NEAR_ASSETS,
        CrashHook,
        SERVICE_CONFIG,
        Logger,
      ],
      useFactory: (
        pool: Pool,
        ledger: PayoutLedger,
        provider: JsonRpcProvider,
        assets: AssetRegistry,
        crash: CrashHook,
        config: NearSettlementConfig,
        logger: Logger,
      ) =>
        new PayoutDriver({
          pool,
          ledger,
          provider,
          assets,
          crash,
          pollMs: config.SETTLEMENT_POLL_MS,
          log: logger,
        }),
    },
    {
      provide: LaneSupervisor,
      inject: [PG_POOL, SIGNER_LANES, PayoutDriver, SERVICE_CONFIG, Logger],
      useFactory: (
        pool: Pool,
        lanes: SignerLane[],
        driver: PayoutDriver,
        config: NearSettlementConfig,
        logger: Logger,
      ) =>
        new LaneSupervisor({
          pool,
          connection: {
            connectionString: config.DATABASE_URL,
            application_name: 'near-settlement-lane',
          },
          lanes,
          driver,
          idleMs: config.SETTLEMENT_IDLE_MS,
          log: logger,
        }),
    },
  ],
})
export class SettlementModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private reconcileTimer?: NodeJS.Timeout;
  private reconciling?: Promise<unknown>;

  constructor(
    @Inject(PAYOUT_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: NearSettlementConfig,
    @Inject(NEAR_PROVIDER) private readonly provider: JsonRpcProvider,
    @Inject(NEAR_ASSETS) private readonly assets: AssetRegistry,
    @Inject(TREASURY_ACCOUNT) private readonly treasuryAccountId: string,
    private readonly lanes: LaneSupervisor,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { pool, treasuryAccountId, lanes } = this;
    metricsSource = {
      payouts: async () => {
        const { rows } = await pool.query<{ status: string; n: string }>(
          `SELECT status, count(*)::text AS n FROM near_settlement.payouts
           WHERE treasury_account_id = $1 GROUP BY status`,
          [treasuryAccountId],
        );
        return new Map(rows.map((r) => [r.status, Number(r.n)]));
      },
      lanesDriven: () => lanes.activity().filter((l) => l.drivenHere).length,
    };
    // The payout relay (EventStoreModule) has started; lanes resume their signed/broadcast
    // payouts before taking new ones.
    this.lanes.start();
    const every = this.config.RECONCILE_INTERVAL_SECONDS;
    if (every > 0) {
      this.reconcileTimer = setInterval(() => {
        if (this.reconciling) return;
        this.reconciling = this.reconcileOnce().finally(() => (this.reconciling = undefined));
      }, every * 1000);
    }
  }

  private async reconcileOnce(): Promise<void> {
    try {
      const found = await reconcile({
        pool: this.pool,
        store: this.store,
        provider: this.provider,
        treasuryAccountId: this.treasuryAccountId,
        assets: this.assets,
      });
      for (const d of found.filter((x) => x.newlyReported)) {
        discrepancies.inc({ kind: d.kind });
        this.logger.warn({ discrepancy: d }, 'reconciliation discrepancy');
      }
    } catch (error) {
      this.logger.error({ err: error }, 'reconciliation failed; next run retries');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    metricsSource = undefined;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await this.reconciling;
    // Then EventStoreModule stops the relay (Nest shuts imported modules down after this one).
    await this.lanes.stop();
  }
}
