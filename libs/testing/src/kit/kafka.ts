import { randomBytes } from 'node:crypto';
import { type ConsumerConfig, type Kafka, logLevel } from 'kafkajs';
import { createKafka, ensureTopics } from '@lib/messaging';
import { TEST_KAFKA_BROKERS } from './defaults';
import { eventually } from './eventually';

/**
 * Consumer timings for tests: a member that dies is noticed in seconds, and an idle fetch returns
 * quickly (the defaults make a test wait half a minute for a rebalance).
 */
export const TEST_CONSUMER_CONFIG = {
  sessionTimeout: 6000,
  rebalanceTimeout: 6000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
} satisfies Omit<ConsumerConfig, 'groupId'>;

/** A kafkajs client on the test brokers that logs nothing; `prefix` plus a fresh suffix is its id. */
export const testKafka = (prefix: string): Kafka =>
  createKafka({
    clientId: freshName(prefix),
    brokers: TEST_KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });

/** `prefix-` and eight fresh hex characters: a consumer group or client id of this run only. */
export const freshName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * Creates the topics if missing and commits their current end offsets for `groupId` before any
 * member joins: the group's first member reads only what is produced from now on, not every
 * earlier run's messages.
 */
export async function startGroupAtEnd(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics);
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map(({ partition, offset }) => ({ partition, offset })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once a member with `clientId` holds partitions in `groupId` and the group is stable. */
export async function groupJoined(
  kafka: Kafka,
  groupId: string,
  clientId: string,
  timeoutMs = 60_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await eventually(async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return group?.state === 'Stable' && group.members.some((m) => m.clientId === clientId)
        ? true
        : undefined;
    }, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Resolves once `groupId` committed past `offset` of the partition (the message was handled, or
 * dead-lettered): what a test waits for after producing an event a service consumes.
 */
export async function committedPast(
  kafka: Kafka,
  groupId: string,
  at: { topic: string; partition: number; offset: bigint | string },
  timeoutMs = 30_000,
): Promise<void> {
  const offset = BigInt(at.offset);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await eventually(async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [at.topic] });
      const mark = committed.partitions.find((p) => p.partition === at.partition)?.offset ?? '-1';
      return BigInt(mark) > offset ? true : undefined;
    }, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}
