import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const brokers = (process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

describe('Kafka broker', () => {
  const kafka = new Kafka({ clientId: 'platform-int-test', brokers, logLevel: logLevel.WARN });
  const topic = `test.broker.${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('delivers every produced message once to a consumer group, in key order', async () => {
    const keys = ['grant-a', 'grant-b', 'grant-c'];
    const messages = keys.flatMap((key) =>
      [1, 2, 3, 4].map((n) => ({ key, value: JSON.stringify({ key, n }) })),
    );
    await producer.send({ topic, acks: -1, messages });

    const groupId = `platform-int-${randomBytes(4).toString('hex')}`;
    const consumer = kafka.consumer({ groupId });
    const received: { key: string; n: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Done when every message was handled and the group's commit covers all of them.
    const committed = new Map<number, number>();
    const committedAll = new Promise<void>((resolve) => {
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        for (const p of payload.topics.flatMap((t) => t.partitions)) {
          committed.set(Number(p.partition), Number(p.offset));
        }
        const total = [...committed.values()].reduce((sum, offset) => sum + offset, 0);
        if (total === messages.length) resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(JSON.parse(message.value!.toString()) as { key: string; n: number });
      },
    });
    await committedAll;
    await consumer.disconnect();

    for (const key of keys) {
      expect(received.filter((m) => m.key === key).map((m) => m.n)).toEqual([1, 2, 3, 4]);
    }
    // The group committed its offsets: the committed offsets add up to every message.
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const stored = offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(stored).toBe(messages.length);
  });
});
