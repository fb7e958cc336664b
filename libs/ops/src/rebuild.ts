import {
  PostgresEventStore,
  ProjectionRunner,
  readSubscriptionLag,
  type Projection,
} from '@lib/event-store';
import type { Pool } from 'pg';

/** Result of {@link rebuildProjection}. */
export interface RebuildResult {
  projection: string;
  schema: string;
  /** Events the rebuild had to replay (the store's size when it started). */
  events: number;
  /** Events this process handled (a running service may have handled the rest). */
  handledHere: number;
  batches: number;
  milliseconds: number;
}

/**
 * Rebuilds a projection from zero: empties its read model and resets its checkpoint in one
 * transaction, then replays every event in commit order in batches, each batch committing its
 * rows with the checkpoint. Safe while the service runs: the checkpoint compare-and-set lets only
 * one of them apply each batch, and progress is read from the checkpoint itself.
 */
export async function rebuildProjection(options: {
  pool: Pool;
  schema: string;
  create: (store: PostgresEventStore) => Projection;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<RebuildResult> {
  const started = Date.now();
  const store = new PostgresEventStore(options.pool, options.schema);
  const projection = options.create(store);
  const runner = new ProjectionRunner(projection, {
    store,
    batchSize: options.batchSize ?? 2000,
    onError: () => undefined,
  });
  await runner.rebuild();
  const lagOf = async (): Promise<number> =>
    (await readSubscriptionLag(options.pool, options.schema)).find(
      (row) => row.subscription === projection.name,
    )?.events ?? 0;
  const total = await lagOf();
  options.onProgress?.(0, total);
  let handledHere = 0;
  let batches = 0;
  for (;;) {
    const delivered = await runner.pollOnce();
    if (delivered > 0) {
      handledHere += delivered;
      batches++;
      const remaining = await lagOf();
      options.onProgress?.(Math.max(0, total - remaining), total);
      continue;
    }
    const remaining = await lagOf();
    if (remaining === 0) break;
    // Another runner took this batch, or events wait behind an open transaction.
    options.onProgress?.(Math.max(0, total - remaining), total);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  options.onProgress?.(total, total);
  return {
    projection: projection.name,
    schema: options.schema,
    events: total,
    handledHere,
    batches,
    milliseconds: Date.now() - started,
  };
}
