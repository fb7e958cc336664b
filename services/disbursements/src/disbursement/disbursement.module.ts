import {
  type BeforeApplicationShutdown,
  Inject,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { Logger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { TOPICS } from '@lib/contracts';
import { createRelayProducer, KafkaRelay, PostgresEventStore } from '@lib/event-store';
import { createKafka, ensureTopics } from '@lib/messaging';
import { createAssetRegistry } from '@lib/near';
import { PG_POOL, SERVICE_CONFIG, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
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
  controllers: [DisbursementController, TreasuryController, DisbursementConsumer],
  providers: [
    {
      provide: DISBURSEMENT_EVENT_STORE,
      inject: [PG_POOL, SERVICE_CONTEXT],
      useFactory: (pool: Pool, service: ServiceContext) =>
        new PostgresEventStore(pool, service.schema ?? 'disbursements'),
    },
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
  private producer?: Producer;
  private relay?: KafkaRelay;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(DISBURSEMENT_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
    private readonly runs: TreasuryRun,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka({
      clientId: `${this.service.name}-relay`,
      brokers: this.service.kafkaBrokers,
    });
    await ensureTopics(kafka, [TOPICS.disbursement]);
    this.producer = createRelayProducer(kafka);
    await this.producer.connect();
    this.relay = new KafkaRelay({
      store: this.store,
      name: 'disbursements.kafka-relay',
      producer: this.producer,
      toMessage: disbursementOutbound,
      onError: (error) =>
        this.logger.error(
          { err: error, subscription: 'kafka-relay' },
          'relay batch failed; retrying',
        ),
      pollIntervalMs: 250,
    });
    this.relay.start();
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
    await this.relay?.stop();
    await this.producer?.disconnect();
  }
}
