import { randomUUID } from 'node:crypto';
import { type Consumer, type Kafka, KafkaJSNonRetriableError } from 'kafkajs';
import { z } from 'zod';
import { metricsRegistry } from '@lib/platform';
import { ensureTopics } from './kafka';
import {
  consumerTestBed,
  testEnvelope,
  testRegistry,
  uniqueTopic,
  waitFor,
} from './kafka.test-kit';

const registry = testRegistry({ n: z.number() });
const { kafka, publisher, startConsumer } = consumerTestBed({
  name: 'crash-recovery',
  registry,
  group: 'crash',
  maxAttempts: 3,
});

/**
 * The test Kafka client, except that the first consumer it makes fails its first offset commit
 * with a non-retriable error: kafkajs then crashes the consumer with `restart: false` (as it does
 * for "Failed to find group coordinator" while a broker restarts) and leaves it disconnected.
 */
function kafkaWithOneFatalCommit(base: Kafka): { kafka: Kafka; failed: () => boolean } {
  let armed = true;
  let failed = false;
  const wrapped = Object.create(base) as Kafka;
  wrapped.consumer = (config) => {
    const consumer: Consumer = base.consumer(config);
    if (!armed) return consumer;
    armed = false;
    const commit = consumer.commitOffsets.bind(consumer);
    consumer.commitOffsets = async (offsets) => {
      if (!failed) {
        failed = true;
        throw new KafkaJSNonRetriableError('Failed to find group coordinator');
      }
      return commit(offsets);
    };
    return consumer;
  };
  return { kafka: wrapped, failed: () => failed };
}

async function restarts(group: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('consumer_restarts_total')?.get();
  return metric?.values.find((v) => v.labels.group === group)?.value ?? 0;
}

describe('a consumer kafkajs gave up on (real Kafka)', () => {
  it('is restarted: the uncommitted message comes again, later messages are consumed', async () => {
    const topic = uniqueTopic('crash');
    const key = `grant-${randomUUID()}`;
    const first = testEnvelope(key, { n: 1 });
    const second = testEnvelope(key, { n: 2 });
    const seen: number[] = [];
    const faulty = kafkaWithOneFatalCommit(kafka);

    await ensureTopics(kafka, [topic]);
    await publisher.publish(topic, first);
    const consumer = await startConsumer({
      kafka: faulty.kafka,
      topics: [topic],
      handle: async (envelope) => {
        seen.push(envelope.data.n as number);
      },
    });
    const groupId = (consumer as unknown as { options: { groupId: string } }).options.groupId;

    // Handled, then the commit fails fatally: the consumer crashes and must come back by itself.
    await waitFor(() => faulty.failed(), 'the fatal commit');
    await waitFor(
      () => seen.filter((n) => n === 1).length === 2,
      'the first message again',
      30_000,
    );
    await publisher.publish(topic, second);
    await waitFor(() => seen.includes(2), 'a message published after the crash', 30_000);
    expect(seen).toEqual([1, 1, 2]);
    expect(await restarts(groupId)).toBe(1);
  }, 60_000);
});
