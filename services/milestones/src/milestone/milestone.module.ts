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
import {
  createRelayProducer,
  KafkaRelay,
  PostgresEventStore,
  ProjectionRunner,
} from '@lib/event-store';
import { createKafka, ensureTopics } from '@lib/messaging';
import { resolveNearNetwork } from '@lib/near';
import { PG_POOL, SERVICE_CONFIG, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import type { MilestonesConfig } from '../config';
import { MilestoneConsumer } from './milestone.consumer';
import { MILESTONE_ASSETS, MilestoneController } from './milestone.controller';
import { MILESTONE_EVENT_STORE, MilestoneHandler } from './milestone.handler';
import { MilestoneList, milestoneListProjection } from './milestone-list.projection';
import { milestoneOutbound } from './milestone.outbound';
import { MILESTONE_CLOCK, systemClock } from './milestone-view.dto';

/**
 * The Milestone aggregate: HTTP commands and the list query, the `grants.grant.v1` consumer, the
 * list projection and the relay that publishes to `milestones.milestone.v1` from the event log.
 */
@Module({
  controllers: [MilestoneController, MilestoneConsumer],
  providers: [
    {
      provide: MILESTONE_EVENT_STORE,
      inject: [PG_POOL, SERVICE_CONTEXT],
      useFactory: (pool: Pool, service: ServiceContext) =>
        new PostgresEventStore(pool, service.schema ?? 'milestones'),
    },
    {
      provide: MILESTONE_ASSETS,
      inject: [SERVICE_CONFIG],
      useFactory: (config: MilestonesConfig) => resolveNearNetwork(config).assets,
    },
    { provide: MILESTONE_CLOCK, useValue: systemClock },
    MilestoneHandler,
    MilestoneList,
  ],
})
export class MilestoneModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private producer?: Producer;
  private runners: { stop(): Promise<void> }[] = [];

  constructor(
    @Inject(MILESTONE_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka({
      clientId: `${this.service.name}-relay`,
      brokers: this.service.kafkaBrokers,
    });
    await ensureTopics(kafka, [TOPICS.milestone]);
    this.producer = createRelayProducer(kafka);
    await this.producer.connect();
    const onError = (name: string) => (error: unknown) =>
      this.logger.error({ err: error, subscription: name }, 'subscription batch failed; retrying');
    const projection = new ProjectionRunner(
      milestoneListProjection((ranges, client) => this.store.readStreams(ranges, { client })),
      { store: this.store, onError: onError('milestone-list'), pollIntervalMs: 250 },
    );
    const relay = new KafkaRelay({
      store: this.store,
      name: 'milestones.kafka-relay',
      producer: this.producer,
      toMessage: milestoneOutbound,
      onError: onError('kafka-relay'),
      pollIntervalMs: 250,
    });
    projection.start();
    relay.start();
    this.runners = [projection, relay];
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.producer?.disconnect();
  }
}
