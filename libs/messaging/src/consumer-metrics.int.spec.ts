import { ContractRegistry } from '@lib/contracts';
import { metricsRegistry } from '@lib/platform';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IntegrationEventConsumer } from './integration-event.consumer';
import { IntegrationEventPublisher } from './integration-event.publisher';
import { ensureTopics } from './kafka';
import {
  fastConsumer,
  testEnvelope,
  testKafka,
  uniqueGroup,
  uniqueTopic,
  waitFor,
} from './kafka.test-kit';

const registry = new ContractRegistry().register(
  'TestHappened',
  1,
  z.object({ n: z.number().int() }),
);
const kafka = testKafka('consumer-metrics');

/** The value of one labelled series as /metrics would show it (0 when absent). */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return sample?.value ?? 0;
}

describe('consumer metrics (real Kafka)', () => {
  it('counts each failed attempt as a retry and the dead letter by reason', async () => {
    const topic = uniqueTopic('metrics');
    const groupId = uniqueGroup('metrics');
    await ensureTopics(kafka, [topic]);
    const publisher = new IntegrationEventPublisher(kafka, registry);
    await publisher.connect();
    let attempts = 0;
    const consumer = new IntegrationEventConsumer({
      kafka,
      groupId,
      topics: [topic],
      registry,
      maxAttempts: 3,
      backoff: { initialMs: 20, maxMs: 50, multiplier: 2 },
      consumerConfig: fastConsumer,
      handle: async () => {
        attempts++;
        throw new Error('always fails');
      },
    });
    try {
      await consumer.start();
      await publisher.publish(topic, testEnvelope(`grant-${randomUUID()}`, { n: 1 }));
      await waitFor(() => attempts >= 3, 'three attempts');
      // Poll the counter rather than a callback: the dead letter is counted after its write.
      const until = Date.now() + 20_000;
      while ((await value('consumer_dead_letters_total', { group: groupId, topic })) === 0) {
        if (Date.now() > until) throw new Error('no dead letter counted');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await value('consumer_retries_total', { group: groupId, topic })).toBe(3);
      expect(
        await value('consumer_dead_letters_total', {
          group: groupId,
          topic,
          reason: 'handler-failed',
        }),
      ).toBe(1);
      const text = await metricsRegistry.metrics();
      expect(text).toContain(`consumer_dead_letters_total{group="${groupId}",topic="${topic}"`);
    } finally {
      await consumer.stop();
      await publisher.disconnect();
    }
  }, 60_000);
});
