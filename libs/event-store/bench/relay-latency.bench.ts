/**
 * Relay latency: append → KafkaRelay → Kafka → consumer in another process.
 *   npm run bench:relay
 * Env: BENCH_DATABASE_URL, KAFKA_BROKERS, RELAY_BENCH_RATE (events/s, default 200),
 * RELAY_BENCH_SECONDS (default 20). Latency = consumer receipt time − time the append call started.
 */
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import {
  createRelayProducer,
  installEventStoreSchema,
  KafkaRelay,
  PostgresEventStore,
  toIntegrationEnvelope,
} from '../src';
import { BENCH_DB as DB, percentile } from './appenders';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RATE = Number(process.env.RELAY_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.RELAY_BENCH_SECONDS ?? 20);

type ChildMessage = { kind: 'ready' } | { kind: 'received'; eventId: string; latencyMs: number };

async function main(): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const schema = `bench_relay_${tag}`;
  const topic = `bench.relay-latency.${tag}.v1`;
  const pool = new Pool({ connectionString: DB, max: 16, application_name: 'bench-relay' });
  const kafka = new Kafka({
    clientId: 'relay-bench',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = createRelayProducer(kafka);
  const child = fork(join(__dirname, 'relay-consumer.child.ts'), [], {
    execArgv: ['-r', '@swc-node/register'],
    env: { ...process.env, RELAY_BENCH_TOPIC: topic },
  });
  let relay: KafkaRelay | undefined;
  try {
    await installEventStoreSchema(pool, schema);
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    });
    await producer.connect();
    const store = new PostgresEventStore(pool, schema);
    const published: number[] = [];
    const batches: number[] = [];
    const appendLatency: number[] = [];
    relay = new KafkaRelay({
      store,
      name: 'relay-latency',
      producer,
      toMessage: (event) => ({ topic, envelope: toIntegrationEnvelope(event) }),
      afterPublish: async (events) => {
        const now = Date.now();
        for (const event of events) published.push(now - Number(event.data.sentAt));
        batches.push(events.length);
      },
    });
    relay.start();

    const latencies = new Map<string, number>();
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: ChildMessage) => {
        if (message.kind === 'ready') resolve();
        else latencies.set(message.eventId, message.latencyMs);
      });
      child.on('exit', (code) => reject(new Error(`consumer exited with ${code}`)));
    });
    await ready;

    const total = RATE * SECONDS;
    const streams = Array.from({ length: 50 }, () => `grant-${randomUUID()}`);
    const sent: string[] = [];
    const start = performance.now();
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const eventId = randomUUID();
      sent.push(eventId);
      const t0 = performance.now();
      appends.push(
        store
          .append(streams[i % streams.length], 'any', [
            {
              eventId,
              type: 'TrancheReleased',
              data: { sentAt: Date.now(), amount: '100.00' },
              metadata: { correlationId: randomUUID(), actor: 'bench', occurredAt: new Date() },
            },
          ])
          .then(() => appendLatency.push(performance.now() - t0)),
      );
    }
    await Promise.all(appends);
    const sendSeconds = (performance.now() - start) / 1000;
    const deadline = Date.now() + 15_000;
    while (latencies.size < total && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    const values = sent.map((id) => latencies.get(id)).filter((v): v is number => v !== undefined);
    values.sort((a, b) => a - b);
    const result = {
      sent: total,
      received: values.length,
      rate: total / sendSeconds,
      p50: percentile(values, 50),
      p90: percentile(values, 90),
      p99: percentile(values, 99),
      max: values[values.length - 1],
    };
    console.log(
      `relay latency: ${result.received}/${result.sent} received at ${result.rate.toFixed(0)} ev/s — ` +
        `p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, max ${result.max} ms`,
    );
    console.log(JSON.stringify(result));
    published.sort((a, b) => a - b);
    appendLatency.sort((a, b) => a - b);
    console.log(
      `  append call p50 ${percentile(appendLatency, 50).toFixed(1)} ms, p99 ${percentile(appendLatency, 99).toFixed(1)} ms; ` +
        `acked by Kafka (relay) p50 ${percentile(published, 50)} ms, p99 ${percentile(published, 99)} ms; ` +
        `${batches.length} relay batches, mean ${(published.length / batches.length).toFixed(1)} events`,
    );
  } finally {
    await relay?.stop();
    child.send({ kind: 'stop' });
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve(undefined);
      else child.once('exit', resolve);
    });
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
