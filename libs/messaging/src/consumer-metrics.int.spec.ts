import { metricsRegistry } from '@lib/platform';
import { randomUUID } from 'node:crypto';
import { ensureTopics } from './kafka';
import {
  consumerTestBed,
  testEnvelope,
  testRegistry,
  uniqueGroup,
  uniqueTopic,
  waitFor,
} from './kafka.test-kit';

const { kafka, publisher, startConsumer } = consumerTestBed({
  name: 'consumer-metrics',
  registry: testRegistry(),
  group: 'metrics',
  maxAttempts: 3,
});

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
    let attempts = 0;
    await startConsumer({
      groupId,
      topics: [topic],
      backoff: { initialMs: 20, maxMs: 50, multiplier: 2 },
      handle: async () => {
        attempts++;
        throw new Error('always fails');
      },
    });
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
  }, 60_000);
});
