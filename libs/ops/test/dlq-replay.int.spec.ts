import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { deadLetterTopic } from '@lib/contracts';
import { createKafka, DEAD_LETTER_HEADERS, ensureTopics } from '@lib/messaging';
import { buildProgram } from '../src/program';

const brokers = process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';

function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => chunks.join('');
  return stream;
}

describe('npm run ops -- dlq replay (real Kafka, a topic of its own)', () => {
  it('re-publishes the dead letters of <topic>.dlq to <topic> and reports the count', async () => {
    const topic = `test.ops-replay.${randomUUID().slice(0, 8)}.v1`;
    const kafka = createKafka({
      clientId: 'ops-replay-test',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    });
    await ensureTopics(kafka, [topic]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: [1, 2].map((n) => ({
        key: `k${n}`,
        value: JSON.stringify({ n }),
        headers: {
          [DEAD_LETTER_HEADERS.originalTopic]: topic,
          [DEAD_LETTER_HEADERS.reason]: 'handler-failed',
        },
      })),
    });
    await producer.disconnect();

    const out = capture();
    const err = capture();
    const code = await buildProgram({ out, err, env: { KAFKA_BROKERS: brokers } }, []).run([
      'dlq',
      'replay',
      '--topic',
      topic,
      '--idle-timeout-ms',
      '5000',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(out.text())).toEqual({ replayed: [{ topic, replayed: 2 }] });
    expect(err.text()).toContain('dlq replay (topics): 1/1 (100%)');

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(2);
  }, 60_000);
});
