import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  type InjectionToken,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Producer } from 'kafkajs';
import { Logger } from 'nestjs-pino';
import type { Pool, PoolClient } from 'pg';
import { createKafka, ensureTopics } from '@lib/messaging';
import { PG_POOL, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import { createRelayProducer, KafkaRelay, type KafkaRelayOptions } from './kafka-relay';
import { PostgresEventStore } from './postgres-event-store';
import { type Projection, ProjectionRunner } from './projection-runner';
import type { StoredEvent } from './types';

/** Poll interval of the relays and projections a service runs (they also wake on NOTIFY). */
const POLL_INTERVAL_MS = 250;

/** Relay options a service may set beyond the topic and mapping. */
export type RelayExtras = Partial<
  Omit<KafkaRelayOptions, 'store' | 'producer' | 'name' | 'toMessage' | 'onError'>
>;

/** A relay publishing the service's public events from its event log to Kafka. */
export interface RelaySpec extends RelayExtras {
  /** The topic it publishes to (created at start with its `.dlq`). */
  topic: string;
  toMessage: KafkaRelayOptions['toMessage'];
  /** Subscription name (checkpoint + lock); default `<service name>.kafka-relay`. */
  name?: string;
  /** Providers of the service handed to `extras` at start, e.g. a crash hook. */
  inject?: InjectionToken[];
  /** Options that need the service's own providers (the `inject` ones, in order). */
  extras?: (...deps: never[]) => RelayExtras;
}

/** A projection fed from the service's event log. */
export type ProjectionSpec = (store: PostgresEventStore) => Projection;

export interface EventStoreServiceOptions {
  /** Token the service's handlers inject the store with. */
  token: InjectionToken;
  relays?: RelaySpec[];
  projections?: ProjectionSpec[];
}

/** Reads several streams inside the batch transaction (what projections read other streams with). */
export type ReadStreamsIn = (
  ranges: readonly { streamId: string; toVersion: number }[],
  client: PoolClient,
) => Promise<Map<string, StoredEvent[]>>;

/** `store.readStreams` bound to the batch client, for a projection. */
export const readStreamsOf =
  (store: PostgresEventStore): ReadStreamsIn =>
  (ranges, client) =>
    store.readStreams(ranges, { client });

const OPTIONS = Symbol('EVENT_STORE_SERVICE_OPTIONS');

/** Starts the relays and projections after bootstrap; stops them and the producer at shutdown. */
@Injectable()
class EventStoreRunners implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private producer?: Producer;
  private runners: { stop(): Promise<void> }[] = [];

  constructor(
    @Inject(OPTIONS) private readonly options: EventStoreServiceOptions,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
    private readonly moduleRef: ModuleRef,
    private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const store = this.moduleRef.get<PostgresEventStore>(this.options.token);
    const onError = (name: string) => (error: unknown) =>
      this.logger.error({ err: error, subscription: name }, 'subscription batch failed; retrying');
    const relays = this.options.relays ?? [];
    if (relays.length > 0) {
      const kafka = createKafka({
        clientId: `${this.service.name}-relay`,
        brokers: this.service.kafkaBrokers,
      });
      await ensureTopics(
        kafka,
        relays.map((relay) => relay.topic),
      );
      this.producer = createRelayProducer(kafka);
      await this.producer.connect();
    }
    const projections = (this.options.projections ?? []).map((create) => {
      const projection = create(store);
      return new ProjectionRunner(projection, {
        store,
        onError: onError(projection.name),
        pollIntervalMs: POLL_INTERVAL_MS,
      });
    });
    const producer = this.producer as Producer;
    const kafkaRelays = relays.map(({ topic: _topic, name, inject, extras, ...options }) => {
      const relayName = name ?? `${this.service.name}.kafka-relay`;
      const deps = (inject ?? []).map((token) =>
        this.moduleRef.get<unknown>(token, { strict: false }),
      );
      return new KafkaRelay({
        pollIntervalMs: POLL_INTERVAL_MS,
        ...options,
        ...(extras ? extras(...(deps as never[])) : {}),
        store,
        name: relayName,
        producer,
        onError: onError(relayName),
      });
    });
    for (const runner of [...projections, ...kafkaRelays]) runner.start();
    this.runners = [...projections, ...kafkaRelays];
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    this.runners = [];
    await this.producer?.disconnect();
  }
}

/**
 * The event store of a service: a {@link PostgresEventStore} on the service's own schema (from
 * the platform's service context, so the schema is written once, in `app.module.ts`), plus the
 * relays and projections it runs, started after bootstrap and stopped before shutdown.
 *
 * ```ts
 * imports: [EventStoreModule.forService({ token: GRANT_EVENT_STORE,
 *   relays: [{ topic: TOPICS.grant, toMessage: grantOutbound }],
 *   projections: [(store) => grantOverviewProjection(readStreamsOf(store), store.schema)] })]
 * ```
 */
@Module({})
export class EventStoreModule {
  static forService(options: EventStoreServiceOptions): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [
        { provide: OPTIONS, useValue: options },
        {
          provide: options.token,
          inject: [PG_POOL, SERVICE_CONTEXT],
          useFactory: (pool: Pool, service: ServiceContext) => {
            if (!service.schema) {
              throw new Error(`service ${service.name} has no schema for its event store`);
            }
            return new PostgresEventStore(pool, service.schema);
          },
        },
        EventStoreRunners,
      ],
      exports: [options.token],
    };
  }
}
