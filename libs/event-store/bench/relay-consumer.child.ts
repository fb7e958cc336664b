/**
 * Child process of relay-latency.bench.ts: a plain kafkajs consumer in another process that
 * reports, per message, how long after the append call it arrived (same machine, same clock).
 */
import { integrationEnvelopeSchema } from '@lib/contracts';
import { Kafka, logLevel } from 'kafkajs';

async function main(): Promise<void> {
  const topic = process.env.RELAY_BENCH_TOPIC!;
  const kafka = new Kafka({
    clientId: 'relay-bench-consumer',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `relay-bench-${process.pid}`,
    sessionTimeout: 6000,
    rebalanceTimeout: 6000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 10,
  });
  consumer.on(consumer.events.GROUP_JOIN, () => process.send?.({ kind: 'ready' }));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const receivedAt = Date.now();
      const envelope = integrationEnvelopeSchema.parse(JSON.parse(String(message.value)));
      const sentAt = Number(envelope.data.sentAt);
      process.send?.({
        kind: 'received',
        eventId: envelope.eventId,
        latencyMs: receivedAt - sentAt,
      });
    },
  });
  process.on('message', (message: { kind: string }) => {
    if (message.kind === 'stop') {
      void consumer.disconnect().finally(() => process.exit(0));
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
