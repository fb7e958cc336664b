// Shared by this library's int tests (real Kafka); not exported from the library.
import { ContractRegistry, type IntegrationEnvelope } from '@lib/contracts';
import { randomUUID } from 'node:crypto';
import { type IHeaders, type Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { integrationEnvelope } from '../../testing/src/kit/envelope';
import { decodeHeaders } from './headers';
import {
  IntegrationEventConsumer,
  type IntegrationEventConsumerOptions,
} from './integration-event.consumer';
import { IntegrationEventPublisher } from './integration-event.publisher';
import { createKafka } from './kafka';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** Quiet unless KAFKA_TEST_LOGS=1: the tests provoke failures on purpose. */
export const testKafka = (name: string): Kafka =>
  createKafka({
    clientId: `messaging-int-${name}`,
    brokers,
    logLevel: process.env.KAFKA_TEST_LOGS === '1' ? logLevel.WARN : logLevel.NOTHING,
  });

/** Fast group membership for tests (the broker's minimum session timeout is 6 s). */
export const fastConsumer = {
  sessionTimeout: 6000,
  rebalanceTimeout: 6000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
};

export const uniqueTopic = (name: string): string => `test.${name}.${randomUUID().slice(0, 8)}.v1`;

export const uniqueGroup = (name: string): string => `test-${name}-${randomUUID().slice(0, 8)}`;

/**
 * The test kit's envelope (messaging cannot import `@lib/testing`, which imports messaging; the
 * envelope module itself imports only contract types).
 */
export const testEnvelope = (
  aggregateId: string,
  data: Record<string, unknown>,
  type = 'TestHappened',
): IntegrationEnvelope => integrationEnvelope(type, aggregateId, data, { actor: 'test' });

export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  rawHeaders: IHeaders;
}

/** Reads `count` records from the start of `topic` with a throwaway group. */
export async function readTopic(kafka: Kafka, topic: string, count: number): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({ groupId: uniqueGroup('reader'), ...fastConsumer });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers: decodeHeaders(message.headers),
          rawHeaders: message.headers ?? {},
        });
      },
    });
    await waitFor(() => records.length >= count, `${count} records on ${topic}`);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** Number of records ever written to `topic` (sum of high watermarks). */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high }) => sum + Number(high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A promise with its resolve/reject exposed. */
export function gate<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The one contract these tests publish: `TestHappened` v1, an integer `n` and `fields`. */
export const testRegistry = (fields: z.ZodRawShape = {}): ContractRegistry =>
  new ContractRegistry().register('TestHappened', 1, z.object({ n: z.number().int(), ...fields }));

/** Options of {@link consumerTestBed}. */
export interface ConsumerTestBedOptions {
  /** Kafka client id suffix. */
  name: string;
  registry: ContractRegistry;
  /** Prefix of each consumer's unique group id. */
  group: string;
  maxAttempts: number;
}

/**
 * One spec file's Kafka client, a publisher connected before all tests and disconnected after,
 * and `startConsumer`: a started {@link IntegrationEventConsumer} with a fresh group, fast
 * membership and short back-off (each overridable), stopped after the test that started it.
 */
export function consumerTestBed({ name, registry, group, maxAttempts }: ConsumerTestBedOptions) {
  const kafka = testKafka(name);
  const publisher = new IntegrationEventPublisher(kafka, registry);
  const running: IntegrationEventConsumer[] = [];

  beforeAll(() => publisher.connect());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
  });
  afterAll(() => publisher.disconnect());

  async function startConsumer(
    options: Pick<IntegrationEventConsumerOptions, 'topics' | 'handle'> &
      Partial<IntegrationEventConsumerOptions>,
  ): Promise<IntegrationEventConsumer> {
    const consumer = new IntegrationEventConsumer({
      kafka,
      groupId: uniqueGroup(group),
      registry,
      maxAttempts,
      backoff: { initialMs: 50, maxMs: 200, multiplier: 2 },
      consumerConfig: fastConsumer,
      ...options,
    });
    running.push(consumer);
    await consumer.start();
    return consumer;
  }

  return { kafka, publisher, startConsumer };
}
