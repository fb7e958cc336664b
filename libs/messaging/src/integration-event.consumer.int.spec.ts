import { deadLetterTopic, HEADERS, type IntegrationEnvelope } from '@lib/contracts';
import { currentCorrelationId } from '@lib/platform';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { replayDeadLetters } from './dead-letter.replay';
import { DEAD_LETTER_HEADERS } from './headers';
import { type IntegrationEventContext } from './integration-event.consumer';
import { createProducer, ensureTopics } from './kafka';
import {
  consumerTestBed,
  gate,
  readTopic,
  testEnvelope,
  testRegistry,
  topicSize,
  uniqueGroup,
  uniqueTopic,
  waitFor,
} from './kafka.test-kit';

const { kafka, publisher, startConsumer } = consumerTestBed({
  name: 'consumer',
  registry: testRegistry({ poison: z.boolean().optional() }),
  group: 'consumer',
  maxAttempts: 3,
});

interface Handled {
  envelope: IntegrationEnvelope;
  ctx: IntegrationEventContext;
  correlationId: string | undefined;
}

describe('IntegrationEventConsumer (real Kafka)', () => {
  it('dead-letters a poison message after maxAttempts, keeps the partition moving, and replays it', async () => {
    const topic = uniqueTopic('poison');
    const aggregateId = `grant-${randomUUID()}`;
    const poison = testEnvelope(aggregateId, { n: 1, poison: true });
    const later = testEnvelope(aggregateId, { n: 2 });
    const attempts: number[] = [];
    const handled: Handled[] = [];
    let acceptPoison = false;

    await ensureTopics(kafka, [topic]);
    await publisher.publish(topic, poison);
    await publisher.publish(topic, later);
    await startConsumer({
      topics: [topic],
      handle: async (envelope, ctx) => {
        if (envelope.data.poison && !acceptPoison) {
          attempts.push(ctx.attempt);
          throw new Error(`cannot handle event ${envelope.eventId}`);
        }
        handled.push({ envelope, ctx, correlationId: currentCorrelationId() });
      },
    });

    await waitFor(() => handled.length === 1, 'the later message on the same partition');
    expect(attempts).toEqual([1, 2, 3]);
    expect(handled[0].envelope).toEqual(later);
    expect(handled[0].correlationId).toBe(later.correlationId);

    const [letter] = await readTopic(kafka, deadLetterTopic(topic), 1);
    expect(letter.key).toBe(aggregateId);
    expect(JSON.parse(letter.value!)).toEqual(poison);
    expect(letter.headers).toMatchObject({
      [HEADERS.eventId]: poison.eventId,
      [HEADERS.dlqAttempts]: '3',
      [HEADERS.dlqError]: `Error: cannot handle event ${poison.eventId}`,
      [HEADERS.dlqOriginalTopic]: topic,
      [HEADERS.dlqOriginalPartition]: String(handled[0].ctx.partition),
      [DEAD_LETTER_HEADERS.reason]: 'handler-failed',
    });
    // The poison came first on the partition, so it sits one offset before the later event.
    expect(BigInt(letter.headers[HEADERS.dlqOriginalOffset])).toBe(
      BigInt(handled[0].ctx.offset) - 1n,
    );

    acceptPoison = true;
    await expect(replayDeadLetters({ kafka, topic, idleTimeoutMs: 5000 })).resolves.toEqual({
      replayed: 1,
    });
    await waitFor(() => handled.length === 2, 'the replayed message');
    const replayed = handled[1];
    expect(replayed.envelope).toEqual(poison);
    expect(replayed.ctx.attempt).toBe(1);
    expect(replayed.ctx.headers[HEADERS.eventId]).toBe(poison.eventId);
    expect(replayed.ctx.headers[DEAD_LETTER_HEADERS.replayedAt]).toBeDefined();
    expect(Object.keys(replayed.ctx.headers).filter((h) => h.startsWith('dlq-'))).toEqual([
      DEAD_LETTER_HEADERS.replayedAt,
    ]);
    // Replay progress is committed: running it again replays nothing.
    await expect(replayDeadLetters({ kafka, topic })).resolves.toEqual({ replayed: 0 });
  });

  it('dead-letters messages that fail their contract at once, without calling the handler', async () => {
    const topic = uniqueTopic('unparseable');
    const key = `grant-${randomUUID()}`;
    const valid = testEnvelope(key, { n: 3 });
    const handled: IntegrationEnvelope[] = [];

    await ensureTopics(kafka, [topic]);
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key, value: '{not json' },
        { key, value: JSON.stringify(testEnvelope(key, { n: 1 }, 'SomethingElse')) },
        { key, value: JSON.stringify(testEnvelope(key, { n: 'two' })) },
        { key, value: JSON.stringify(valid) },
      ],
    });
    await producer.disconnect();
    await startConsumer({
      topics: [topic],
      handle: async (envelope) => {
        handled.push(envelope);
      },
    });

    await waitFor(() => handled.length === 1, 'the valid message');
    expect(handled).toEqual([valid]);
    const letters = await readTopic(kafka, deadLetterTopic(topic), 3);
    letters.sort((a, b) => Number(a.offset) - Number(b.offset));
    expect(letters.map((l) => l.headers[HEADERS.dlqAttempts])).toEqual(['0', '0', '0']);
    expect(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.reason])).toEqual([
      'unparseable',
      'unparseable',
      'unparseable',
    ]);
    expect(letters[0].headers[HEADERS.dlqError]).toMatch(
      /^IntegrationEventParseError: value is not JSON/,
    );
    expect(letters[1].headers[HEADERS.dlqError]).toBe(
      'IntegrationEventParseError: unknown event type SomethingElse v1',
    );
    expect(letters[2].headers[HEADERS.dlqError]).toBe(
      'IntegrationEventParseError: invalid data for TestHappened v1: n: Expected number, received string',
    );
    expect(letters[0].value).toBe('{not json');
  });

  it('redelivers a message whose handler was in flight when the consumer stopped', async () => {
    const topic = uniqueTopic('inflight');
    const groupId = uniqueGroup('inflight');
    const key = `grant-${randomUUID()}`;
    const first = testEnvelope(key, { n: 1 });
    const second = testEnvelope(key, { n: 2 });
    await ensureTopics(kafka, [topic]);
    await publisher.publish(topic, first);
    await publisher.publish(topic, second);

    const started = gate();
    const release = gate();
    const seenByA: number[] = [];
    const a = await startConsumer({
      topics: [topic],
      groupId,
      handle: async (envelope) => {
        seenByA.push(envelope.data.n as number);
        started.resolve();
        await release.promise; // e.g. the database pool closing under it during shutdown
      },
    });
    await started.promise;
    const stopping = a.stop();
    release.reject(new Error('shutting down'));
    await stopping;
    expect(seenByA).toEqual([1]);
    expect(await topicSize(kafka, deadLetterTopic(topic))).toBe(0);

    const seenByB: Array<[number, number]> = [];
    await startConsumer({
      topics: [topic],
      groupId,
      handle: async (envelope, ctx) => {
        seenByB.push([envelope.data.n as number, ctx.attempt]);
      },
    });
    await waitFor(() => seenByB.length === 2, 'both messages in the new consumer');
    expect(seenByB).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('stops promptly while a message waits for a retry, leaving it uncommitted', async () => {
    const topic = uniqueTopic('backoff');
    const groupId = uniqueGroup('backoff');
    const event = testEnvelope(`grant-${randomUUID()}`, { n: 1 });
    await ensureTopics(kafka, [topic]);
    await publisher.publish(topic, event);

    let failures = 0;
    const a = await startConsumer({
      topics: [topic],
      groupId,
      backoff: { initialMs: 60_000, maxMs: 60_000, multiplier: 2 },
      handle: async () => {
        failures++;
        throw new Error('downstream unavailable');
      },
    });
    await waitFor(() => failures === 1, 'the first failure');
    const stopStarted = Date.now();
    await a.stop();
    expect(Date.now() - stopStarted).toBeLessThan(10_000);
    expect(failures).toBe(1);
    expect(await topicSize(kafka, deadLetterTopic(topic))).toBe(0);

    const handled: IntegrationEnvelope[] = [];
    await startConsumer({
      topics: [topic],
      groupId,
      handle: async (envelope) => {
        handled.push(envelope);
      },
    });
    await waitFor(() => handled.length === 1, 'the redelivered message');
    expect(handled[0]).toEqual(event);
  });

  it('lets an in-flight handler finish and commit on stop, so it is not handled again', async () => {
    const topic = uniqueTopic('drain');
    const groupId = uniqueGroup('drain');
    const key = `grant-${randomUUID()}`;
    await ensureTopics(kafka, [topic]);
    await publisher.publish(topic, testEnvelope(key, { n: 1 }));

    const started = gate();
    const release = gate();
    const a = await startConsumer({
      topics: [topic],
      groupId,
      handle: async () => {
        started.resolve();
        await release.promise;
      },
    });
    await started.promise;
    const stopping = a.stop();
    release.resolve();
    await stopping;

    await publisher.publish(topic, testEnvelope(key, { n: 2 }));
    const seenByB: number[] = [];
    await startConsumer({
      topics: [topic],
      groupId,
      handle: async (envelope) => {
        seenByB.push(envelope.data.n as number);
      },
    });
    await waitFor(() => seenByB.length >= 1, 'the message published after the stop');
    expect(seenByB).toEqual([2]);
  });
});
