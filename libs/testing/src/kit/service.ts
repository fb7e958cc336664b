import type { AddressInfo } from 'node:net';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { type Kafka, logLevel } from 'kafkajs';
import { integrationContracts } from '@lib/contracts';
import { connectKafkaEvents, createKafka, type KafkaEventServerOptions } from '@lib/messaging';
import { createServiceApp } from '@lib/platform';
import { TEST_KAFKA_BROKERS } from './defaults';
import { freshName, groupJoined, startGroupAtEnd, TEST_CONSUMER_CONFIG } from './kafka';

/** A service started in this process: the Nest app and the base URL it listens on. */
export interface ServiceUnderTest {
  app: INestApplication;
  url: string;
}

/** Listens on a free port of 127.0.0.1 and returns the base URL (`http://127.0.0.1:<port>`). */
export async function listenLocally(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

/** How a service under test consumes Kafka: its own group, started at the topics' current end. */
export interface TestConsumption {
  /** The service name (`connectKafkaEvents`'s `service`). */
  service: string;
  /** The consumer group (fresh per run); started at the end of `topics` before the app starts. */
  groupId: string;
  /**
   * The topics the group starts at the end of (they are created if missing); `[]` when the group
   * was started already (a second replica joining it: offsets cannot be set under a member).
   */
  topics: readonly string[];
  /** A client to share (e.g. with the test's publisher); otherwise one of its own. */
  kafka?: Kafka;
  /** Waits until this process's consumer holds partitions (needs a client of its own). */
  awaitJoined?: boolean;
  /** Anything else for connectKafkaEvents; defaults: 3 attempts, a 50–200 ms backoff, fast timings. */
  options?: Partial<Omit<KafkaEventServerOptions, 'service' | 'groupId' | 'kafka'>>;
}

/**
 * A service as `main.ts` starts it, in this process: `createServiceApp(module)`, with `consume`
 * its Kafka consumer (a group of its own starting at the topics' current end, so this run handles
 * only the events it produces and never shares partitions with another process), then listening
 * on a free local port.
 *
 * @example
 * const grants = await startServiceUnderTest(AppModule.register(config), {
 *   consume: { service: 'grants', groupId: freshName('grants-e2e'), topics, awaitJoined: true },
 * });
 */
export async function startServiceUnderTest(
  module: Type | DynamicModule,
  options: { consume?: TestConsumption } = {},
): Promise<ServiceUnderTest> {
  const consume = options.consume;
  const clientId = freshName(`${consume?.service ?? 'service'}-e2e`);
  const kafka =
    consume &&
    (consume.kafka ??
      createKafka({ clientId, brokers: TEST_KAFKA_BROKERS, logLevel: logLevel.NOTHING }));
  if (consume && kafka) await startGroupAtEnd(kafka, consume.groupId, consume.topics);
  const app = await createServiceApp(module, {
    quiet: true,
    ...(consume && kafka
      ? {
          connectKafka: (nest: INestApplication) =>
            connectKafkaEvents(nest, {
              registry: integrationContracts(),
              maxAttempts: 3,
              backoff: { initialMs: 50, maxMs: 200 },
              consumerConfig: TEST_CONSUMER_CONFIG,
              ...consume.options,
              service: consume.service,
              groupId: consume.groupId,
              kafka,
            }),
        }
      : {}),
  });
  if (consume && kafka) {
    await app.init(); // migrations before consumers, as startServiceApp does
    await app.startAllMicroservices();
    if (consume.awaitJoined) {
      if (consume.kafka) throw new Error('awaitJoined needs the consumer’s own client');
      await groupJoined(kafka, consume.groupId, clientId);
    }
  }
  return { app, url: await listenLocally(app) };
}
