import {
  Inject,
  Module,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { Logger } from 'nestjs-pino';
import type { Producer } from 'kafkajs';
import { TOPICS } from '@lib/contracts';
import {
  createRelayProducer,
  KafkaRelay,
  PostgresEventStore,
  ProjectionRunner,
} from '@lib/event-store';
import { createKafka, ensureTopics } from '@lib/messaging';
import { PG_POOL, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import { ApplicationController } from './application.controller';
import { APPLICATION_EVENT_STORE, ApplicationHandler } from './application.handler';
import { applicationOutbound } from './application.outbound';
import { ApplicationQueue, applicationQueueProjection } from './application-queue.projection';

/**
 * The Application aggregate: HTTP commands and queries, the queue projection and the relay that
 * publishes public events to `applications.application.v1` from the event log.
 */
@Module({
  controllers: [ApplicationController],
  providers: [
    {
      provide: APPLICATION_EVENT_STORE,
      inject: [PG_POOL, SERVICE_CONTEXT],
      useFactory: (pool: Pool, service: ServiceContext) =>
        new PostgresEventStore(pool, service.schema ?? 'applications'),
    },
    ApplicationHandler,
    ApplicationQueue,
  ],
})
export class ApplicationModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private producer?: Producer;
  private runners: { stop(): Promise<void> }[] = [];

  constructor(
    @Inject(APPLICATION_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka({
      clientId: `${this.service.name}-relay`,
      brokers: this.service.kafkaBrokers,
    });
    await ensureTopics(kafka, [TOPICS.application]);
    this.producer = createRelayProducer(kafka);
    await this.producer.connect();
    const onError = (name: string) => (error: unknown) =>
      this.logger.error({ err: error, subscription: name }, 'subscription batch failed; retrying');
    const projection = new ProjectionRunner(
      applicationQueueProjection((ranges, client) => this.store.readStreams(ranges, { client })),
      { store: this.store, onError: onError('application-queue'), pollIntervalMs: 250 },
    );
    const relay = new KafkaRelay({
      store: this.store,
      name: 'applications.kafka-relay',
      producer: this.producer,
      toMessage: applicationOutbound,
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
