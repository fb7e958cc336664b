/**
 * Append throughput of the event store against a plain INSERT of the same row from the same Node
 * client (pg.Pool, named prepared statement, one autocommit statement per event) and against
 * Emmett 0.42's PostgreSQL event store, in the same run: 100 streams, 8 and 32 writers.
 *   node -r @swc-node/register libs/event-store/bench/append.bench.ts   (also part of bench:pipeline)
 * Env: BENCH_DATABASE_URL (default TEST_DATABASE_URL or local incubator_test), BENCH_ROW_SECONDS
 * (default 5), BENCH_ROUNDS (default 3: each configuration is measured this many times, rows
 * interleaved, and the median kept), BENCH_APPEND_STORES (default `plain,ours,emmett`).
 *
 * Every call writes one event of about 250 bytes with no concurrency check ('any' for ours,
 * Emmett's default). Writers take streams round-robin.
 */
import {
  getPostgreSQLEventStore,
  type PostgresEventStore as EmmettStore,
} from '@event-driven-io/emmett-postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Pool } from 'pg';
import { installEventStoreSchema, PostgresEventStore } from '../src';
import {
  type Appender,
  type AppendRow,
  appendRow,
  BENCH_DB as DB,
  emmettAppender,
  metadata,
  oursAppender,
  payload,
} from './appenders';

export type { AppendRow } from './appenders';

const WARMUP_MS = 500;

/** The same columns as our events table, one primary key, no chain, no stream row. */
async function plain(pool: Pool, schema: string): Promise<Appender> {
  await pool.query(`CREATE TABLE ${schema}.plain_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL,
    event_id uuid NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    correlation_id text NOT NULL,
    causation_id text,
    actor text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
  )`);
  const text = `INSERT INTO ${schema}.plain_events
    (stream_id, event_id, type, data, correlation_id, causation_id, actor, occurred_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
  return {
    name: 'plain',
    append: async (streamId) => {
      const m = metadata();
      await pool.query({
        name: `plain-insert-${schema}`,
        text,
        values: [
          streamId,
          randomUUID(),
          'TrancheReleased',
          JSON.stringify(payload()),
          m.correlationId,
          m.causationId,
          m.actor,
          m.occurredAt,
        ],
      });
      return true;
    },
  };
}

export interface AppendBenchResult {
  environment: string;
  rows: AppendRow[];
  /** Per writer count: ours / plain and ours / emmett (medians). */
  ratios: { writers: number; oursVsPlain: number; oursVsEmmett: number }[];
}

/** Runs the comparison and prints one line per row; returns the medians. */
export async function runAppendBench(
  options: {
    streams?: number;
    writers?: number[];
    seconds?: number;
    rounds?: number;
    stores?: string[];
    log?: (line: string) => void;
  } = {},
): Promise<AppendBenchResult> {
  const streams = options.streams ?? 100;
  const writerCounts = options.writers ?? [8, 32];
  const seconds = options.seconds ?? Number(process.env.BENCH_ROW_SECONDS ?? 5);
  const rounds = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const stores = options.stores ??
    process.env.BENCH_APPEND_STORES?.split(',') ?? ['plain', 'ours', 'emmett'];
  const log = options.log ?? ((line: string) => console.log(line));
  const tag = randomBytes(4).toString('hex');
  const oursSchema = `bench_es_${tag}`;
  const emtSchema = `bench_emt_${tag}`;
  // A database of its own: Emmett skips creating its functions when any schema has them.
  const database = `bench_append_${tag}`;
  const server = new Pool({ connectionString: DB, max: 1 });
  await server.query(`CREATE DATABASE ${database}`);
  const url = new URL(DB);
  url.pathname = `/${database}`;
  const db = url.toString();
  const admin = new Pool({ connectionString: db, max: 2 });
  const maxWriters = Math.max(...writerCounts);
  // One pool for ours and the plain INSERT (same client, same concurrency); idle connections close
  // quickly so the shared server's connection limit is not held by a finished row.
  const oursPool = new Pool({
    connectionString: db,
    max: maxWriters,
    idleTimeoutMillis: 1000,
    application_name: 'bench-ours',
  });
  const plainPool = oursPool;
  const emtUrl = `${db}?options=${encodeURIComponent(`-c search_path=${emtSchema}`)}`;
  const emtPool = new Pool({
    connectionString: emtUrl,
    max: maxWriters,
    idleTimeoutMillis: 1000,
    application_name: 'bench-emmett',
  });
  // DROP DATABASE … WITH (FORCE) at the end ends whatever Emmett left open.
  for (const pool of [admin, oursPool, emtPool]) pool.on('error', () => undefined);
  let emtStore: EmmettStore | undefined;
  try {
    await installEventStoreSchema(admin, oursSchema);
    await admin.query(`CREATE SCHEMA ${emtSchema}`);
    const appenders: Appender[] = [];
    for (const name of stores) {
      if (name === 'ours')
        appenders.push(oursAppender(new PostgresEventStore(oursPool, oursSchema)));
      else if (name === 'plain') appenders.push(await plain(plainPool, oursSchema));
      else if (name === 'emmett') {
        emtStore = getPostgreSQLEventStore(emtUrl, { connectionOptions: { pool: emtPool } });
        await emtStore.schema.migrate();
        appenders.push(emmettAppender(emtStore));
      } else throw new Error(`unknown store ${name}`);
    }
    const { rows: pg } = await admin.query<{ v: string; sc: string; fs: string }>(
      `SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc,
        current_setting('fsync') AS fs`,
    );
    const environment =
      `${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}; ` +
      `PostgreSQL ${pg[0].v} (fsync ${pg[0].fs}, synchronous_commit ${pg[0].sc}); Node ${process.version}; ` +
      `load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; ${seconds} s per row, ${rounds} round(s), ${streams} streams`;
    log(environment);
    const all: AppendRow[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const writers of writerCounts) {
        for (const appender of appenders) {
          const row = await appendRow(appender, streams, writers, seconds, WARMUP_MS);
          all.push(row);
          log(
            `round ${round} append ${row.store.padEnd(6)} streams=${streams} writers=${String(writers).padStart(2)} ` +
              `${row.eventsPerSecond.toFixed(0).padStart(6)} ev/s  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  client cpu ${row.clientCpuMicros.toFixed(0)} µs/ev` +
              (row.conflicts ? `  conflicts ${row.conflicts}` : ''),
          );
        }
      }
    }
    const rows: AppendRow[] = [];
    for (const writers of writerCounts) {
      for (const appender of appenders) {
        const runs = all
          .filter((r) => r.writers === writers && r.store === appender.name)
          .sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
        rows.push(runs[Math.floor((runs.length - 1) / 2)]);
      }
    }
    const rate = (store: string, writers: number) =>
      rows.find((r) => r.store === store && r.writers === writers)?.eventsPerSecond ?? NaN;
    const ratios = writerCounts.map((writers) => ({
      writers,
      oursVsPlain: rate('ours', writers) / rate('plain', writers),
      oursVsEmmett: rate('ours', writers) / rate('emmett', writers),
    }));
    for (const r of ratios) {
      log(
        `median writers=${r.writers}: ours ${rate('ours', r.writers).toFixed(0)} ev/s = ` +
          `${r.oursVsPlain.toFixed(2)}× plain INSERT (${rate('plain', r.writers).toFixed(0)}), ` +
          `${r.oursVsEmmett.toFixed(2)}× Emmett (${rate('emmett', r.writers).toFixed(0)})`,
      );
    }
    return { environment, rows, ratios };
  } finally {
    await emtStore?.close().catch(() => undefined);
    await Promise.all([admin.end(), oursPool.end(), emtPool.end().catch(() => undefined)]);
    await server.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await server.end();
  }
}

if (require.main === module) {
  runAppendBench()
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
