/**
 * Event store benchmark: ours vs Emmett's PostgreSQL event store, same database, separate schemas.
 *   npm run bench:event-store
 * Env: BENCH_DATABASE_URL (default TEST_DATABASE_URL or local incubator_test), BENCH_ROW_SECONDS
 * (default 4), BENCH_CATCHUP_EVENTS (default 100000).
 *
 * Append rows: every call appends one ~250-byte event with no concurrency check ('any' for ours;
 * Emmett's default). Writers pick streams round-robin. Emmett's no-check append still reads the
 * version and compares-and-sets it, so concurrent writers of one stream can fail; those calls are
 * counted as conflicts and not as appended events.
 */
import {
  getPostgreSQLEventStore,
  type PostgresEventStore as EmmettStore,
} from '@event-driven-io/emmett-postgresql';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { installEventStoreSchema, PostgresEventStore, SubscriptionRunner } from '../src';
import {
  type AppendRow,
  appendRow,
  BENCH_DB as DB,
  emmettAppender,
  oursAppender,
  type SeedingAppender,
} from './appenders';

const ROW_SECONDS = Number(process.env.BENCH_ROW_SECONDS ?? 4);
const CATCHUP_EVENTS = Number(process.env.BENCH_CATCHUP_EVENTS ?? 100_000);
const WARMUP_MS = 300;
const EMMETT_CATCHUP_SECONDS = Number(process.env.BENCH_EMMETT_CATCHUP_SECONDS ?? 15);

async function seed(appender: SeedingAppender, total: number): Promise<void> {
  const batch = 100;
  let written = 0;
  const streams = 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (written < total) {
        written += batch;
        await appender.appendBatch(`seed-${n++ % streams}`, batch);
      }
    }),
  );
}

async function main(): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const oursSchema = `bench_es_${tag}`;
  const emtSchema = `bench_emt_${tag}`;
  const admin = new Pool({ connectionString: DB, max: 2 });
  const oursPool = new Pool({ connectionString: DB, max: 32, application_name: 'bench-ours' });
  const emtUrl = `${DB}${DB.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${emtSchema}`)}`;
  const emtPool = new Pool({ connectionString: emtUrl, max: 32, application_name: 'bench-emmett' });
  const results: AppendRow[] = [];
  let emtStore: EmmettStore | undefined;
  try {
    await installEventStoreSchema(admin, oursSchema);
    await admin.query(`CREATE SCHEMA ${emtSchema}`);
    const store = new PostgresEventStore(oursPool, oursSchema);
    emtStore = getPostgreSQLEventStore(emtUrl, { connectionOptions: { pool: emtPool } });
    await emtStore.schema.migrate();
    const appenders = [oursAppender(store), emmettAppender(emtStore)];
    const { rows: pg } = await admin.query<{ v: string }>(
      `SELECT current_setting('server_version') AS v`,
    );
    console.log(
      `PostgreSQL ${pg[0].v}, Node ${process.version}, ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, ${ROW_SECONDS}s per row`,
    );

    for (const streams of [1, 100]) {
      for (const writers of [1, 8, 32]) {
        for (const appender of appenders) {
          const row = await appendRow(appender, streams, writers, ROW_SECONDS, WARMUP_MS);
          results.push(row);
          console.log(
            `append ${row.store.padEnd(6)} streams=${String(streams).padStart(3)} writers=${String(writers).padStart(2)} ` +
              `${row.eventsPerSecond.toFixed(0).padStart(6)} ev/s  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms` +
              (row.conflicts ? `  conflicts ${row.conflicts}` : ''),
          );
        }
      }
    }

    // Catch-up: a subscription from zero over CATCHUP_EVENTS (plus the events appended above).
    await seed(appenders[0], CATCHUP_EVENTS);
    await seed(appenders[1], CATCHUP_EVENTS);
    const { rows: oursCount } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${oursSchema}.events`,
    );
    const oursTotal = Number(oursCount[0].n);
    let seen = 0;
    let done: () => void = () => undefined;
    const caughtUp = new Promise<void>((resolve) => (done = resolve));
    const runner = new SubscriptionRunner({
      store,
      name: 'bench-catch-up',
      handle: async (events) => {
        seen += events.length;
        if (seen >= oursTotal) done();
      },
    });
    let t0 = performance.now();
    runner.start();
    await caughtUp;
    const oursSeconds = (performance.now() - t0) / 1000;
    await runner.stop();
    console.log(
      `catch-up ours   ${oursTotal} events in ${oursSeconds.toFixed(2)} s = ${(oursTotal / oursSeconds).toFixed(0)} ev/s (batch 500)`,
    );

    const { rows: emtCount } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${emtSchema}.emt_messages`,
    );
    const emtTotal = Number(emtCount[0].n);
    // Emmett's consumer is far slower here, so it gets a time box instead of the full backlog.
    let emtSeen = 0;
    const consumer = emtStore.consumer({ pulling: { batchSize: 500 } });
    consumer.reactor({
      processorId: 'bench-catch-up',
      startFrom: 'BEGINNING',
      eachMessage: async () => {
        emtSeen++;
      },
    });
    t0 = performance.now();
    const started = consumer.start();
    const box = performance.now() + EMMETT_CATCHUP_SECONDS * 1000;
    while (emtSeen < emtTotal && performance.now() < box)
      await new Promise((r) => setTimeout(r, 20));
    const emtSeconds = (performance.now() - t0) / 1000;
    const emtProcessed = emtSeen;
    await consumer.stop();
    await started.catch(() => undefined);
    await consumer.close();
    console.log(
      `catch-up emmett ${emtProcessed}/${emtTotal} events in ${emtSeconds.toFixed(2)} s = ${(emtProcessed / emtSeconds).toFixed(0)} ev/s (batch 500)`,
    );
    console.log(
      JSON.stringify({
        append: results,
        catchUp: [
          {
            store: 'ours',
            events: oursTotal,
            seconds: oursSeconds,
            eventsPerSecond: oursTotal / oursSeconds,
          },
          {
            store: 'emmett',
            events: emtSeen,
            seconds: emtSeconds,
            eventsPerSecond: emtSeen / emtSeconds,
          },
        ],
      }),
    );
  } finally {
    await emtStore?.close().catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${oursSchema} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${emtSchema} CASCADE`);
    await Promise.all([admin.end(), oursPool.end(), emtPool.end().catch(() => undefined)]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
