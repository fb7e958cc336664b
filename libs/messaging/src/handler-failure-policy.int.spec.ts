import { deadLetterTopic, HEADERS, type IntegrationEnvelope } from '@lib/contracts';
import { metricsRegistry } from '@lib/platform';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEAD_LETTER_HEADERS } from './headers';
import { IntegrationEventConsumer } from './integration-event.consumer';
import { createProducer, ensureTopics } from './kafka';
import {
  consumerTestBed,
  readTopic,
  testEnvelope,
  testRegistry,
  topicSize,
  uniqueGroup,
  uniqueTopic,
  waitFor,
} from './kafka.test-kit';

const MAX_ATTEMPTS = 3;
const registry = testRegistry({ poison: z.boolean().optional() });
const { kafka, publisher, startConsumer } = consumerTestBed({
  name: 'failure-policy',
  registry,
  group: 'policy',
  maxAttempts: MAX_ATTEMPTS,
});

async function blockedRetries(group: string, topic: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('consumer_blocked_retries_total')?.get();
  return (
    metric?.values.find((v) => v.labels.group === group && v.labels.topic === topic)?.value ?? 0
  );
}

describe('handler failure policy (real Kafka)', () => {
  it('retry-forever: retries past maxAttempts, handles once, never dead-letters, keeps order behind it', async () => {
    const topic = uniqueTopic('forever');
    const groupId = uniqueGroup('forever');
    const key = `grant-${randomUUID()}`;
    const blocked = testEnvelope(key, { n: 1 });
    const behind = [testEnvelope(key, { n: 2 }), testEnvelope(key, { n: 3 })];
    const failuresBeforeSuccess = MAX_ATTEMPTS + 2;
    const attempts: number[] = [];
    const handled: Array<{ n: number; attempt: number; failuresSoFar: number }> = [];

    await ensureTopics(kafka, [topic]);
    for (const event of [blocked, ...behind]) await publisher.publish(topic, event);
    const first = await startConsumer({
      topics: [topic],
      groupId,
      handlerFailurePolicy: 'retry-forever',
      handle: async (envelope, ctx) => {
        if (envelope.eventId === blocked.eventId) {
          attempts.push(ctx.attempt);
          if (attempts.length <= failuresBeforeSuccess) throw new Error('database unavailable');
        }
        handled.push({
          n: envelope.data.n as number,
          attempt: ctx.attempt,
          failuresSoFar: attempts.length,
        });
      },
    });

    await waitFor(() => handled.length === 3, 'the blocked message and the two behind it');
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6]);
    // The ones behind it waited until it succeeded, then ran in partition order.
    expect(handled).toEqual([
      { n: 1, attempt: failuresBeforeSuccess + 1, failuresSoFar: failuresBeforeSuccess + 1 },
      { n: 2, attempt: 1, failuresSoFar: failuresBeforeSuccess + 1 },
      { n: 3, attempt: 1, failuresSoFar: failuresBeforeSuccess + 1 },
    ]);
    expect(await topicSize(kafka, deadLetterTopic(topic))).toBe(0);
    expect(await blockedRetries(groupId, topic)).toBe(failuresBeforeSuccess);

    // All three were committed: a new member of the group sees only what comes next.
    await first.stop();
    const marker = testEnvelope(key, { n: 4 });
    await publisher.publish(topic, marker);
    const seenLater: number[] = [];
    await startConsumer({
      topics: [topic],
      groupId,
      handlerFailurePolicy: 'retry-forever',
      handle: async (envelope) => {
        seenLater.push(envelope.data.n as number);
      },
    });
    await waitFor(() => seenLater.length >= 1, 'the message published after the restart');
    expect(seenLater).toEqual([4]);
    expect(await topicSize(kafka, deadLetterTopic(topic))).toBe(0);
  });

  it('retry-forever: keeps the group session alive while retrying for longer than the session timeout', async () => {
    const topic = uniqueTopic('forever-session');
    const event = testEnvelope(`grant-${randomUUID()}`, { n: 1 });
    const attempts: number[] = [];
    let handled = 0;
    await ensureTopics(kafka, [topic]);
    await publisher.publish(topic, event);
    // Waits 1.5 s, 3 s, 3 s, 3 s: well past the 6 s session timeout of fastConsumer.
    await startConsumer({
      topics: [topic],
      handlerFailurePolicy: 'retry-forever',
      backoff: { initialMs: 1500, maxMs: 3000, multiplier: 2 },
      handle: async (_envelope, ctx) => {
        attempts.push(ctx.attempt);
        if (attempts.length <= 4) throw new Error('database unavailable');
        handled++;
      },
    });
    await waitFor(() => handled === 1, 'the message after four failures', 30_000);
    // A lost session would have rebalanced and redelivered it from attempt 1.
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    expect(await topicSize(kafka, deadLetterTopic(topic))).toBe(0);
  }, 40_000);

  it('retry-forever: an unparseable message still goes straight to the dead-letter topic', async () => {
    const topic = uniqueTopic('forever-unparseable');
    const key = `grant-${randomUUID()}`;
    const valid = testEnvelope(key, { n: 1 });
    const handled: IntegrationEnvelope[] = [];
    await ensureTopics(kafka, [topic]);
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key, value: '{not json' },
        { key, value: JSON.stringify(testEnvelope(key, { n: 'two' })) },
        { key, value: JSON.stringify(valid) },
      ],
    });
    await producer.disconnect();
    await startConsumer({
      topics: [topic],
      handlerFailurePolicy: { [topic]: 'retry-forever' },
      handle: async (envelope) => {
        handled.push(envelope);
      },
    });

    await waitFor(() => handled.length === 1, 'the valid message');
    expect(handled).toEqual([valid]);
    const letters = await readTopic(kafka, deadLetterTopic(topic), 2);
    letters.sort((a, b) => Number(a.offset) - Number(b.offset));
    expect(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.reason])).toEqual([
      'unparseable',
      'unparseable',
    ]);
    expect(letters.map((l) => l.headers[HEADERS.dlqAttempts])).toEqual(['0', '0']);
    expect(letters[0].value).toBe('{not json');
  });

  it('per topic: the default topic dead-letters after maxAttempts while the retry-forever topic retries', async () => {
    const foreverTopic = uniqueTopic('mixed-forever');
    const defaultTopic = uniqueTopic('mixed-default');
    const key = `grant-${randomUUID()}`;
    const poison = testEnvelope(key, { n: 1, poison: true });
    const afterPoison = testEnvelope(key, { n: 2 });
    const flaky = testEnvelope(key, { n: 10 });
    const attempts = { poison: [] as number[], flaky: [] as number[] };
    const handled: string[] = [];

    await ensureTopics(kafka, [foreverTopic, defaultTopic]);
    await publisher.publish(defaultTopic, poison);
    await publisher.publish(defaultTopic, afterPoison);
    await publisher.publish(foreverTopic, flaky);
    await startConsumer({
      topics: [foreverTopic, defaultTopic],
      partitionsConsumedConcurrently: 2,
      handlerFailurePolicy: { [foreverTopic]: 'retry-forever' },
      handle: async (envelope, ctx) => {
        if (envelope.data.poison) {
          attempts.poison.push(ctx.attempt);
          throw new Error('poison');
        }
        if (envelope.eventId === flaky.eventId) {
          attempts.flaky.push(ctx.attempt);
          if (attempts.flaky.length <= MAX_ATTEMPTS + 1) throw new Error('flaky');
        }
        handled.push(envelope.eventId);
      },
    });

    await waitFor(() => handled.length === 2, 'the message after the poison and the flaky one');
    expect(new Set(handled)).toEqual(new Set([afterPoison.eventId, flaky.eventId]));
    expect(attempts.poison).toEqual([1, 2, 3]);
    expect(attempts.flaky).toEqual([1, 2, 3, 4, 5]);
    const [letter] = await readTopic(kafka, deadLetterTopic(defaultTopic), 1);
    expect(JSON.parse(letter.value!)).toEqual(poison);
    expect(letter.headers).toMatchObject({
      [HEADERS.dlqAttempts]: String(MAX_ATTEMPTS),
      [DEAD_LETTER_HEADERS.reason]: 'handler-failed',
    });
    expect(await topicSize(kafka, deadLetterTopic(defaultTopic))).toBe(1);
    expect(await topicSize(kafka, deadLetterTopic(foreverTopic))).toBe(0);
  });

  it('rejects an unknown policy and a per-topic policy for a topic it does not consume', () => {
    const base = { kafka, groupId: uniqueGroup('invalid'), registry, handle: async () => {} };
    expect(
      () =>
        new IntegrationEventConsumer({
          ...base,
          topics: ['grants.grant.v1'],
          handlerFailurePolicy: { 'grants.grant.v2': 'retry-forever' },
        }),
    ).toThrow('handler failure policy given for topic grants.grant.v2, which is not consumed');
    expect(
      () =>
        new IntegrationEventConsumer({
          ...base,
          topics: ['grants.grant.v1'],
          handlerFailurePolicy: 'retry' as never,
        }),
    ).toThrow('unknown handler failure policy retry for all topics');
  });
});
