import { type ContractRegistry, type IntegrationEnvelope } from '@lib/contracts';
import { type INestApplication, type INestMicroservice } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { type ConsumerConfig, type Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { type BackoffPolicy } from '../backoff';
import {
  type DeadLetterInfo,
  type HandlerFailurePolicies,
  IntegrationEventConsumer,
  type IntegrationEventContext,
} from '../integration-event.consumer';
import { createKafka, type StructuredLogger } from '../kafka';
import { KafkaEventContext } from './kafka-event.context';
import { KafkaEventExceptionFilter } from './kafka-event.exception-filter';

/** Transport id of {@link KafkaEventServer}: `@EventPattern(topic, KAFKA_EVENTS_TRANSPORT)` pins a handler to it. */
export const KAFKA_EVENTS_TRANSPORT = Symbol.for('incubator.kafka-events');

/** Options for {@link KafkaEventServer}. */
export interface KafkaEventServerOptions {
  /** Service name: consumer group `<service>-events` and Kafka client id `<service>`. */
  service: string;
  /** Overrides the consumer group id. */
  groupId?: string;
  registry: ContractRegistry;
  /** A kafkajs client; otherwise one is created from `brokers`. */
  kafka?: Kafka;
  brokers?: string[];
  logger?: StructuredLogger;
  /** Partitions for topics created at start. Default 3. */
  partitions?: number;
  maxAttempts?: number;
  /**
   * `dead-letter` (default) or `retry-forever`, for all topics or per topic (see
   * {@link HandlerFailurePolicies}); money paths use `retry-forever`.
   */
  handlerFailurePolicy?: HandlerFailurePolicies;
  backoff?: Partial<BackoffPolicy>;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
  onDeadLetter?: (info: DeadLetterInfo) => void;
}

type Status = 'connected' | 'disconnected';

/**
 * Nest custom transport that serves `@EventPattern(topic)` handlers from Kafka through one
 * {@link IntegrationEventConsumer}: on `listen` it creates the handlers' topics (and `.dlq`s),
 * joins group `<service>-events` and dispatches every parsed envelope to its topic's handlers
 * (Promise or Observable; all handlers of a topic, in order). A handler error means retry, then
 * dead letter (or, under `handlerFailurePolicy: 'retry-forever'`, retry until it succeeds). `close()` stops consuming. Request/response `@MessagePattern`s are not served.
 *
 * ```ts
 * app.connectMicroservice({ strategy: new KafkaEventServer({ service: 'grants', registry, brokers }) });
 * ```
 */
export class KafkaEventServer
  extends Server<Record<string, never>, Status>
  implements CustomTransportStrategy
{
  override transportId = KAFKA_EVENTS_TRANSPORT;
  private kafka?: Kafka;
  private consumer?: IntegrationEventConsumer;

  constructor(private readonly options: KafkaEventServerOptions) {
    super();
  }

  /** Starts consuming the topics of all registered `@EventPattern` handlers. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const topics: string[] = [];
      for (const [pattern, handler] of this.messageHandlers) {
        if (handler.isEventHandler) topics.push(pattern);
        else this.logger.warn(`@MessagePattern(${pattern}) is not served by KafkaEventServer`);
      }
      if (topics.length === 0) {
        // A service that only publishes (or the gateway) has nothing to consume: not a warning.
        this.logger.debug?.('no @EventPattern handlers registered; not consuming');
        callback();
        return;
      }
      const { options } = this;
      this.kafka =
        options.kafka ??
        createKafka({
          clientId: options.service,
          brokers: options.brokers ?? ['127.0.0.1:9092'],
          logger: options.logger,
        });
      this.consumer = new IntegrationEventConsumer({
        kafka: this.kafka,
        groupId: options.groupId ?? `${options.service}-events`,
        topics,
        registry: options.registry,
        handle: (envelope, ctx) => this.dispatch(envelope, ctx),
        maxAttempts: options.maxAttempts,
        handlerFailurePolicy: options.handlerFailurePolicy,
        backoff: options.backoff,
        fromBeginning: options.fromBeginning,
        ensureTopics: { partitions: options.partitions ?? 3 },
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        consumerConfig: options.consumerConfig,
        onDeadLetter: options.onDeadLetter,
      });
      await this.consumer.start();
      this._status$.next('connected');
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops consuming (in-flight handlers finish first) and disconnects. */
  async close(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
    this._status$.next('disconnected');
  }

  /** Not supported: kafkajs events are observed through the consumer's logs and status. */
  on(): never {
    throw new Error('KafkaEventServer does not support event listeners');
  }

  /** `{ kafka, consumer }` once listening. */
  unwrap<T>(): T {
    if (!this.kafka || !this.consumer) {
      throw new Error('KafkaEventServer is not listening yet');
    }
    return { kafka: this.kafka, consumer: this.consumer } as T;
  }

  private async dispatch(
    envelope: IntegrationEnvelope,
    ctx: IntegrationEventContext,
  ): Promise<void> {
    const first = this.getHandlerByPattern(ctx.topic);
    if (!first) throw new Error(`no @EventPattern handler for topic ${ctx.topic}`);
    const context = new KafkaEventContext([ctx]);
    const run = async (): Promise<void> => {
      for (
        let handler: MessageHandler | undefined = first;
        handler;
        handler = handler.next as MessageHandler | undefined
      ) {
        // Nest's exception layer turns a thrown error into an erroring Observable; both a
        // rejected Promise and an erroring Observable reject here.
        const result: unknown = await handler(envelope, context);
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      }
    };
    // Nest 11 processing hooks (instrumentation): the default start hook just calls `done`. We
    // await our own promise so a hook that drops `done`'s result cannot let us commit early.
    let work: Promise<void> | undefined;
    try {
      await (this.onProcessingStartHook(KAFKA_EVENTS_TRANSPORT, context, () => {
        work = run();
        return work;
      }) as unknown);
      if (!work) throw new Error('a processing start hook did not run the handler');
      await work;
    } finally {
      this.onProcessingEndHook?.(KAFKA_EVENTS_TRANSPORT, context);
    }
  }
}

/**
 * Attaches a {@link KafkaEventServer} to a hybrid (HTTP + Kafka) app with the error-preserving
 * exception filter; start it with `app.startAllMicroservices()`.
 */
export function connectKafkaEvents(
  app: INestApplication,
  options: KafkaEventServerOptions,
): INestMicroservice {
  // Deferred, so the filter is registered before the listeners are built (an initialised hybrid
  // microservice warns "Cannot apply global exception filters" and its listeners never see the
  // filter); the HTTP app has run the lifecycle hooks already, so the microservice must not again.
  const microservice = app.connectMicroservice(
    { strategy: new KafkaEventServer(options) },
    { deferInitialization: true },
  );
  microservice.useGlobalFilters(new KafkaEventExceptionFilter());
  (microservice as unknown as { setIsInitHookCalled(called: boolean): void }).setIsInitHookCalled(
    true,
  );
  return microservice;
}
