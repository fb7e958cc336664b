/**
 * What the event-store benches share: the database, the ~250-byte event, the writers of ours and
 * of Emmett, and one measured row of concurrent appends (warm-up, then a fixed time).
 */
import type { PostgresEventStore as EmmettStore } from '@event-driven-io/emmett-postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { PostgresEventStore } from '../src';

export const BENCH_DB =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/incubator_test';

export interface Appender {
  name: string;
  /** true = appended, false = concurrency conflict */
  append(streamId: string): Promise<boolean>;
}

/** An {@link Appender} that can also seed a stream with many events in one call. */
export interface SeedingAppender extends Appender {
  appendBatch(streamId: string, count: number): Promise<void>;
}

export const payload = () => ({
  grantId: randomUUID(),
  trancheNo: 2,
  amount: '12500.00',
  currency: 'NEAR',
  memo: 'Milestone 2 accepted by the review committee; release second tranche to the payout account.',
});

export const metadata = () => ({
  correlationId: randomUUID(),
  causationId: null,
  actor: 'user:reviewer-7',
  occurredAt: new Date(),
});

/** Our store, expected version 'any' (no concurrency check). */
export function oursAppender(store: PostgresEventStore, name = 'ours'): SeedingAppender {
  const event = () => ({
    eventId: randomUUID(),
    type: 'TrancheReleased',
    data: payload(),
    metadata: metadata(),
  });
  return {
    name,
    append: async (streamId) => {
      await store.append(streamId, 'any', [event()]);
      return true;
    },
    appendBatch: async (streamId, count) => {
      await store.append(streamId, 'any', Array.from({ length: count }, event));
    },
  };
}

/**
 * Emmett's default append (no expected version). It still reads the version and compares-and-sets
 * it, so concurrent writers of one stream can fail: those calls count as conflicts.
 */
export function emmettAppender(store: EmmettStore): SeedingAppender {
  const event = () => {
    const m = metadata();
    return {
      type: 'TrancheReleased',
      data: payload(),
      metadata: { ...m, occurredAt: m.occurredAt.toISOString() },
    };
  };
  return {
    name: 'emmett',
    append: async (streamId) => {
      try {
        await store.appendToStream(streamId, [event() as never]);
        return true;
      } catch (error) {
        if (
          (error as Error).name === 'ExpectedVersionConflictError' ||
          /version/i.test((error as Error).message)
        )
          return false;
        throw error;
      }
    },
    appendBatch: async (streamId, count) => {
      await store.appendToStream(streamId, Array.from({ length: count }, event) as never[]);
    },
  };
}

export interface AppendRow {
  store: string;
  streams: number;
  writers: number;
  events: number;
  conflicts: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU time of this Node process per appended event (µs): the client's share of the cost. */
  clientCpuMicros: number;
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `writers` concurrent loops over `streamCount` fresh streams (round-robin) for `seconds`. */
export async function appendRow(
  appender: Appender,
  streamCount: number,
  writers: number,
  seconds: number,
  warmupMs: number,
): Promise<AppendRow> {
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const streams = Array.from({ length: streamCount }, (_, i) => `${prefix}-${i}`);
  const latencies: number[] = [];
  let events = 0;
  let conflicts = 0;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + seconds * 1000;
  let next = 0;
  let cpuAtMeasure: NodeJS.CpuUsage | undefined;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (;;) {
        const t0 = performance.now();
        if (t0 >= end) return;
        const ok = await appender.append(streams[next++ % streams.length]);
        const t1 = performance.now();
        if (t0 < measureFrom) continue;
        cpuAtMeasure ??= process.cpuUsage();
        latencies.push(t1 - t0);
        if (ok) events++;
        else conflicts++;
      }
    }),
  );
  const elapsed = (Math.max(performance.now(), end) - measureFrom) / 1000;
  const cpu = process.cpuUsage(cpuAtMeasure);
  latencies.sort((a, b) => a - b);
  return {
    store: appender.name,
    streams: streamCount,
    writers,
    events,
    conflicts,
    eventsPerSecond: events / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    clientCpuMicros: (cpu.user + cpu.system) / Math.max(events, 1),
  };
}
