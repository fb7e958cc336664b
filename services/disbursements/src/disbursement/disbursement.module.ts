import {
  type BeforeApplicationShutdown,
  Inject,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { TOPICS } from '@lib/contracts';
import { EventStoreModule } from '@lib/event-store';
import { createAssetRegistry } from '@lib/near';
import { SERVICE_CONFIG } from '@lib/platform';
import { TreasuryClock } from '../clock';
import type { DisbursementsConfig } from '../config';
import { TreasuryController } from '../treasury/treasury.controller';
import { TreasuryHandler } from '../treasury/treasury.handler';
import { TreasuryMetrics } from '../treasury/treasury-metrics';
import { TreasuryRun } from '../treasury/treasury-run.handler';
import { DisbursementConsumer } from './disbursement.consumer';
import { DisbursementController } from './disbursement.controller';
import {
  ASSET_REGISTRY,
  DISBURSEMENT_EVENT_STORE,
  DisbursementHandler,
} from './disbursement.handler';
import { DisbursementList } from './disbursement-list.projection';
import { disbursementOutbound } from './disbursement.outbound';

/**
 * Disbursements and the treasury: HTTP commands and queries, the Kafka consumers (grants,
 * milestones, settlement), the relay to `disbursements.disbursement.v1` and the scheduled run.
 */
@Module({
  imports: [
    EventStoreModule.forService({
      token: DISBURSEMENT_EVENT_STORE,
      relays: [{ topic: TOPICS.disbursement, toMessage: disbursementOutbound }],
    }),
  ],
  controllers: [DisbursementController, TreasuryController, DisbursementConsumer],
  providers: [
    {
      provide: ASSET_REGISTRY,
      inject: [SERVICE_CONFIG],
      useFactory: (config: DisbursementsConfig) =>
        createAssetRegistry({
          network: config.NEAR_NETWORK,
          localUsdcContractId: config.NEAR_LOCAL_USDC_CONTRACT_ID,
          extraTokens: config.NEAR_EXTRA_TOKENS,
        }),
    },
    TreasuryClock,
    DisbursementHandler,
    DisbursementList,
    TreasuryHandler,
    TreasuryRun,
    TreasuryMetrics,
  ],
})
export class DisbursementModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
    private readonly runs: TreasuryRun,
    private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.policy.runIntervalSeconds;
    if (every > 0) {
      this.timer = setInterval(() => {
        if (this.running) return;
        this.running = this.runs
          .run({ wait: false })
          .then((result) => {
            if (result && result.released.length > 0) {
              this.logger.log({ released: result.released }, 'treasury run released disbursements');
            }
          })
          .catch((error: unknown) => this.logger.error({ err: error }, 'treasury run failed'))
          .finally(() => {
            this.running = undefined;
          });
      }, every * 1000);
      this.timer.unref();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
