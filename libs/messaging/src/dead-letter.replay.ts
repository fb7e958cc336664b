import { deadLetterTopic } from '@lib/contracts';
import { type EachMessagePayload, type Kafka } from 'kafkajs';
import {
  DEAD_LETTER_HEADERS,
  decodeHeaders,
  describeError,
  withoutDeadLetterHeaders,
} from './headers';
import { createProducer } from './kafka';

/** Options for {@link replayDeadLetters}. */
export interface ReplayDeadLettersOptions {
  kafka: Kafka;
  /** The original topic; its dead letters are read from `<topic>.dlq`. */
  topic: string;
  /** Consumer group that tracks replay progress on the dead-letter topic. Default `<topic>.dlq.replay`. */
  groupId?: string;
  /** Replay at most this many dead letters (oldest first per partition). Default: all. */
  limit?: number;
  /** Give up waiting for further dead letters after this long without one. Default 10 s. */
  idleTimeoutMs?: number;
}

/** What a replay did. */
export interface ReplayDeadLettersResult {
  replayed: number;
}

/**
 * Operator replay: reads `<topic>.dlq` from the replay group's committed position up to the end
 * as it was when the replay started (so letters that fail again are not replayed in a loop),
 * re-produces each one to its original topic with the original key, value and headers (without
 * `dlq-*`, plus `dlq-replayed-at`), and commits each dead-letter offset once the re-produce is
 * acknowledged. Every consumer group of the original topic sees the event again, so consumers
 * must be idempotent (they are: inbox).
 */
export async function replayDeadLetters(
  options: ReplayDeadLettersOptions,
): Promise<ReplayDeadLettersResult> {
  const { kafka, topic } = options;
  const dlq = deadLetterTopic(topic);
  const groupId = options.groupId ?? `${dlq}.replay`;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new RangeError('limit must be >= 0');
  const log = kafka.logger().namespace('replayDeadLetters');

  // Snapshot of what is pending per partition: [committed or low, high).
  const ends = new Map<number, bigint>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets, committed] = await Promise.all([
      admin.fetchTopicOffsets(dlq),
      admin.fetchOffsets({ groupId, topics: [dlq] }),
    ]);
    const committedBy = new Map(
      (committed.find((entry) => entry.topic === dlq)?.partitions ?? []).map((p) => [
        p.partition,
        BigInt(p.offset),
      ]),
    );
    for (const { partition, low, high } of offsets) {
      const from = committedBy.get(partition) ?? -1n;
      const start = from >= 0n && from > BigInt(low) ? from : BigInt(low);
      if (start < BigInt(high)) ends.set(partition, BigInt(high));
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0 || limit === 0) return { replayed: 0 };

  const producer = createProducer(kafka);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let replayed = 0;
  let finished = false;
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Set synchronously so no further letter is replayed once the replay is complete.
  const finish = (): void => {
    finished = true;
    resolveDone();
  };
  const fail = (error: unknown): void => {
    finished = true;
    rejectDone(error);
  };
  let idle: NodeJS.Timeout | undefined;
  const armIdleTimer = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      log.warn('no further dead letters arrived; finishing', { dlq, pending: [...ends.keys()] });
      finish();
    }, options.idleTimeoutMs ?? 10_000);
  };

  const replayOne = async ({ partition, message }: EachMessagePayload): Promise<void> => {
    const end = ends.get(partition);
    if (finished || end === undefined || BigInt(message.offset) >= end) return;
    armIdleTimer();
    const original = decodeHeaders(message.headers)[DEAD_LETTER_HEADERS.originalTopic] ?? topic;
    await producer.send({
      topic: original,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...withoutDeadLetterHeaders(message.headers),
            [DEAD_LETTER_HEADERS.replayedAt]: new Date().toISOString(),
          },
        },
      ],
    });
    const next = BigInt(message.offset) + 1n;
    await consumer.commitOffsets([{ topic: dlq, partition, offset: next.toString() }]);
    replayed++;
    if (next >= end) ends.delete(partition);
    if (replayed >= limit || ends.size === 0) finish();
  };

  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async (payload) => {
        try {
          await replayOne(payload);
        } catch (error) {
          log.error('replay failed', {
            dlq,
            offset: payload.message.offset,
            error: describeError(error),
          });
          fail(error);
          throw error;
        }
      },
    });
    armIdleTimer();
    await done;
  } finally {
    clearTimeout(idle);
    await consumer.disconnect();
    await producer.disconnect();
  }
  return { replayed };
}
