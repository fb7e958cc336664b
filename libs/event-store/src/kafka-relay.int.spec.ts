import { HEADERS, integrationEnvelopeSchema } from '@lib/contracts';
import { randomUUID } from 'node:crypto';
import { type Consumer, Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs';
import { z } from 'zod';
import { createRelayProducer, KafkaRelay, toIntegrationEnvelope, withInbox } from '.';
import { RELAY_DEAD_LETTER_REASON, type RelayDeadLetter, relayDeadLetters } from './kafka-relay';
import { freshStore, newEvent, streamOf, waitFor, type TestStore } from '../test/support';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const quiet = (): void => undefined;
const headersOf = (message: KafkaMessage): Record<string, string> =>
  Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));

describe('KafkaRelay (real Postgres + Kafka)', () => {
  let t: TestStore;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer | undefined;
  const topic = `test.event-store-relay.${randomUUID().slice(0, 8)}.v1`;

  beforeAll(async () => {
    t = await freshStore({ max: 8 });
    await t.pool.query(
      `CREATE TABLE "${t.schema}".payout_effects (event_id uuid PRIMARY KEY, applied int NOT NULL)`,
    );
    kafka = new Kafka({ clientId: 'event-store-relay-int', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, `${topic}.dlq`].map((name) => ({
        topic: name,
        numPartitions: 3,
        replicationFactor: 1,
      })),
    });
    await admin.disconnect();
    producer = createRelayProducer(kafka);
    await producer.connect();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await t.drop();
  });

  type RelayOptions = ConstructorParameters<typeof KafkaRelay>[0];
  /** A relay of the test store to the test producer, polling fast, errors silenced. */
  const relayOf = (
    name: string,
    toMessage: RelayOptions['toMessage'],
    extra: Partial<RelayOptions> = {},
  ) =>
    new KafkaRelay({
      store: t.store,
      name,
      producer,
      toMessage,
      onError: quiet,
      pollIntervalMs: 100,
      ...extra,
    });
  const checkpointOf = async (name: string): Promise<string> =>
    (
      await t.pool.query<{ p: string }>(
        `SELECT global_position::text AS p FROM "${t.schema}".subscription_checkpoints WHERE name = $1`,
        [name],
      )
    ).rows[0].p;

  it('re-publishes a batch after a crash between publish and checkpoint; an inbox consumer applies each effect once', async () => {
    const name = `relay-${randomUUID()}`;
    const streamId = streamOf('payout');
    const aggregateId = streamId.slice('payout-'.length);
    await t.store.append(streamId, 'no_stream', [
      newEvent('PayoutRequested', { amount: '10.00' }),
      newEvent('PayoutInternalNote', { note: 'private' }),
      newEvent('PayoutSigned', { amount: '10.00' }),
    ]);
    const toMessage = (event: Parameters<typeof toIntegrationEnvelope>[0]) =>
      event.type === 'PayoutInternalNote'
        ? null
        : { topic, envelope: toIntegrationEnvelope(event) };

    // Consumer: counts raw deliveries, applies effects through the inbox.
    const deliveries = new Map<string, number>();
    const received: { key: string | null; headers: Record<string, string>; value: unknown }[] = [];
    consumer = kafka.consumer({
      groupId: `test-relay-${randomUUID().slice(0, 8)}`,
      sessionTimeout: 6000,
      rebalanceTimeout: 6000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = headersOf(message);
        const envelope = integrationEnvelopeSchema.parse(JSON.parse(String(message.value)));
        received.push({ key: message.key?.toString() ?? null, headers, value: envelope });
        deliveries.set(envelope.eventId, (deliveries.get(envelope.eventId) ?? 0) + 1);
        await withInbox(t.pool, t.schema, 'payout-effects', envelope.eventId, async (client) => {
          await client.query(
            `INSERT INTO "${t.schema}".payout_effects VALUES ($1, 1)
             ON CONFLICT (event_id) DO UPDATE SET applied = payout_effects.applied + 1`,
            [envelope.eventId],
          );
        });
      },
    });

    // First relay "crashes" after Kafka acknowledged the batch, before the checkpoint commits.
    let crashes = 0;
    const crashing = relayOf(name, toMessage, {
      afterPublish: async () => {
        crashes++;
        throw new Error('process killed after publish');
      },
    });
    crashing.start();
    await waitFor(async () => crashes > 0);
    await crashing.stop();
    expect(await checkpointOf(name)).toBe('0');

    // Restart: the same batch is published again, then the checkpoint moves.
    const relay = relayOf(name, toMessage);
    relay.start();
    try {
      const published = (await t.store.readStream(streamId)).filter(
        (e) => e.type !== 'PayoutInternalNote',
      );
      await waitFor(async () => published.every((e) => (deliveries.get(e.eventId) ?? 0) >= 2));
      await waitFor(async () => (await checkpointOf(name)) !== '0');

      const { rows: effects } = await t.pool.query(
        `SELECT event_id, applied FROM "${t.schema}".payout_effects`,
      );
      expect(effects.map((r) => r.applied)).toEqual([1, 1]);
      expect(new Set(effects.map((r) => r.event_id))).toEqual(
        new Set(published.map((e) => e.eventId)),
      );
      expect(
        received.some((r) => (r.value as { type: string }).type === 'PayoutInternalNote'),
      ).toBe(false);

      const first = received.find(
        (r) => (r.value as { eventId: string }).eventId === published[0].eventId,
      )!;
      expect(first.key).toBe(aggregateId);
      expect(first.headers).toMatchObject({
        [HEADERS.eventId]: published[0].eventId,
        [HEADERS.eventType]: 'PayoutRequested',
        [HEADERS.schemaVersion]: '1',
        [HEADERS.correlationId]: published[0].metadata.correlationId,
      });
      expect(first.value).toMatchObject({
        aggregateId,
        streamVersion: 1,
        data: { amount: '10.00' },
      });

      // Live: a new event goes through once the relay is caught up.
      const next = newEvent('PayoutConfirmed', { txHash: 'abc' });
      await t.store.append(streamId, 3, [next]);
      await waitFor(async () => deliveries.get(next.eventId) === 1);
    } finally {
      await relay.stop();
    }
  });

  it('dead-letters an event its own contract rejects, and publishes the events behind it', async () => {
    const name = `relay-${randomUUID()}`;
    const streamId = streamOf('payout');
    // The producer-side contract: amounts are base-unit digit strings.
    const contract = z.object({ amount: z.string().regex(/^\d+$/) });
    const toMessage = (event: Parameters<typeof toIntegrationEnvelope>[0]) => {
      const envelope = toIntegrationEnvelope(event);
      return { topic, envelope: { ...envelope, data: contract.parse(event.data) } };
    };
    const good1 = newEvent('PayoutRequested', { amount: '1000' });
    const bad = newEvent('PayoutRequested', { amount: '10.5' });
    const good2 = newEvent('PayoutRequested', { amount: '2000' });
    await t.store.append(streamId, 'no_stream', [good1, bad, good2]);

    const published: { eventId: string }[] = [];
    const deadLetters: { headers: Record<string, string>; value: Record<string, unknown> }[] = [];
    const groupId = `test-relay-dlq-${randomUUID().slice(0, 8)}`;
    const tail = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await tail.connect();
    await tail.subscribe({ topics: [topic, `${topic}.dlq`], fromBeginning: true });
    await tail.run({
      eachMessage: async ({ topic: from, message }) => {
        const headers = headersOf(message);
        const value = JSON.parse(String(message.value)) as Record<string, unknown>;
        // The topic is shared with the other test: keep only this stream's records.
        if (message.key?.toString() !== streamId.slice('payout-'.length)) return;
        if (from === topic) published.push(value as { eventId: string });
        else deadLetters.push({ headers, value });
      },
    });
    const letters: RelayDeadLetter[] = [];
    const counted = await relayDeadLetters.get();
    const before =
      counted.values.find((v) => v.labels.relay === name && v.labels.topic === `${topic}.dlq`)
        ?.value ?? 0;
    const relay = relayOf(name, toMessage, { onDeadLetter: (letter) => letters.push(letter) });
    relay.start();
    try {
      const ids = (list: { eventId: string }[]) => new Set(list.map((e) => e.eventId));
      await waitFor(async () => ids(published).has(good2.eventId) && deadLetters.length > 0);
      // Behind the bad event: published, once relay caught up also a later append.
      const later = newEvent('PayoutRequested', { amount: '3000' });
      await t.store.append(streamId, 3, [later]);
      await waitFor(async () => ids(published).has(later.eventId));

      expect(published.map((e) => e.eventId).filter((id) => id !== later.eventId)).toEqual([
        good1.eventId,
        good2.eventId,
      ]);
      expect(ids(published).has(bad.eventId)).toBe(false);
      expect(deadLetters).toHaveLength(1);
      const [letter] = deadLetters;
      expect(letter.headers).toMatchObject({
        [HEADERS.eventId]: bad.eventId,
        [HEADERS.eventType]: 'PayoutRequested',
        [HEADERS.dlqOriginalTopic]: topic,
        'dlq-reason': RELAY_DEAD_LETTER_REASON,
        'dlq-relay': name,
        'dlq-stream-id': streamId,
        'dlq-stream-version': '2',
      });
      expect(letter.headers[HEADERS.dlqError]).toMatch(/ZodError/);
      expect(letter.headers[HEADERS.dlqError]).toMatch(/amount/);
      expect(letter.value).toMatchObject({
        relay: name,
        event: { eventId: bad.eventId, streamId, data: { amount: '10.5' } },
      });
      // The store is shared with the other test, whose events fail this contract too.
      const ours = letters.filter((l) => l.event.streamId === streamId);
      expect(ours.map((l) => [l.event.eventId, l.topic])).toEqual([[bad.eventId, `${topic}.dlq`]]);
      const after = (await relayDeadLetters.get()).values.find(
        (v) => v.labels.relay === name && v.labels.topic === `${topic}.dlq`,
      )?.value;
      expect(after).toBe(before + letters.length);
    } finally {
      await relay.stop();
      await tail.disconnect();
    }
  });
});
