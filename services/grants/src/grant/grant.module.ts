import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { Logger } from 'nestjs-pino';
import type { Producer } from 'kafkajs';
import { PgSignInChallengeStore } from '@lib/auth';
import { TOPICS } from '@lib/contracts';
import {
  createRelayProducer,
  KafkaRelay,
  PostgresEventStore,
  ProjectionRunner,
} from '@lib/event-store';
import { createKafka, ensureTopics } from '@lib/messaging';
import { createNearProvider, resolveNearNetwork } from '@lib/near';
import { PG_POOL, SERVICE_CONFIG, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import { CLOCK, type Clock, systemClock } from '../clock';
import type { GrantsConfig } from '../config';
import { GrantConsumer } from './grant.consumer';
import { GrantController } from './grant.controller';
import { GRANT_EVENT_STORE, GrantHandler } from './grant.handler';
import { grantOutbound } from './grant.outbound';
import { GrantOverview, grantOverviewProjection } from './grant-overview.projection';
import { ASSET_REGISTRY, GrantProofs, NEAR_PROVIDER, PROOF_CHALLENGE_STORE } from './grant.proof';

const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * The Grant aggregate: HTTP commands and queries, the Kafka consumers, the overview projection
 * and the relay that publishes public events to `grants.grant.v1` from the event log.
 */
@Module({})
export class GrantModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private producer?: Producer;
  private runners: { stop(): Promise<void> }[] = [];
  private purgeTimer?: NodeJS.Timeout;

  /** `clock` is the system clock unless a test brings its own. */
  static register(options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: GrantModule,
      controllers: [GrantController, GrantConsumer],
      providers: [
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        {
          provide: GRANT_EVENT_STORE,
          inject: [PG_POOL, SERVICE_CONTEXT],
          useFactory: (pool: Pool, service: ServiceContext) =>
            new PostgresEventStore(pool, service.schema ?? 'grants'),
        },
        {
          provide: PROOF_CHALLENGE_STORE,
          inject: [PG_POOL, SERVICE_CONTEXT],
          useFactory: (pool: Pool, service: ServiceContext) =>
            new PgSignInChallengeStore(pool, service.schema ?? 'grants'),
        },
        {
          provide: NEAR_PROVIDER,
          inject: [SERVICE_CONFIG],
          useFactory: (config: GrantsConfig) =>
            createNearProvider({ url: resolveNearNetwork(config).rpcUrl }),
        },
        {
          provide: ASSET_REGISTRY,
          inject: [SERVICE_CONFIG],
          useFactory: (config: GrantsConfig) => resolveNearNetwork(config).assets,
        },
        GrantHandler,
        GrantOverview,
        GrantProofs,
      ],
    };
  }

  constructor(
    @Inject(GRANT_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
    private readonly proofs: GrantProofs,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka({
      clientId: `${this.service.name}-relay`,
      brokers: this.service.kafkaBrokers,
    });
    await ensureTopics(kafka, [TOPICS.grant]);
    this.producer = createRelayProducer(kafka);
    await this.producer.connect();
    const onError = (name: string) => (error: unknown) =>
      this.logger.error({ err: error, subscription: name }, 'subscription batch failed; retrying');
    const projection = new ProjectionRunner(
      grantOverviewProjection(
        (ranges, client) => this.store.readStreams(ranges, { client }),
        this.store.schema,
      ),
      { store: this.store, onError: onError('grant-overview'), pollIntervalMs: 250 },
    );
    const relay = new KafkaRelay({
      store: this.store,
      name: 'grants.kafka-relay',
      producer: this.producer,
      toMessage: grantOutbound,
      onError: onError('kafka-relay'),
      pollIntervalMs: 250,
    });
    projection.start();
    relay.start();
    this.runners = [projection, relay];
    // Expired proof challenges are useless (consume refuses them); keep the table small.
    this.purgeTimer = setInterval(() => {
      this.proofs
        .purgeExpired(new Date(Date.now() - 3600_000))
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'purging expired proof challenges failed'),
        );
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.purgeTimer);
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.producer?.disconnect();
  }
}
