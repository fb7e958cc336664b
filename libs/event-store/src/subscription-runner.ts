import { metrics, quoteIdent, withTransaction, withTransactionClient } from '@lib/platform';
import { Client, type ClientConfig, type PoolClient, type QueryResult } from 'pg';
import { EVENT_COLUMNS, type EventRow, type PostgresEventStore } from './postgres-event-store';
import { eventsChannel } from './schema';
import { readSubscriptionLag } from './subscription-lag';
import type { StoredEvent } from './types';

/** Handles one batch inside the transaction that also saves the checkpoint. */
export type BatchHandler = (events: StoredEvent[], client: PoolClient) => Promise<void>;

/** Options of {@link SubscriptionRunner}. */
export interface SubscriptionOptions {
  store: PostgresEventStore;
  /** Unique per subscription; names the checkpoint and the advisory lock. */
  name: string;
  handle: BatchHandler;
  /** Called in the same transaction that resets the checkpoint to zero (e.g. truncate a read model). */
  onReset?: (client: PoolClient) => Promise<void>;
  /** Default 500. */
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives; default 500 ms. */
  pollIntervalMs?: number;
  /**
   * After a batch that was not full, wait this long before reading again (default 10 ms), so a
   * steady stream of appends is handled in batches rather than one read-handle-commit cycle per
   * NOTIFY. Adds at most this much latency; 0 reads again at once.
   */
  coalesceMs?: number;
  /** How often a standby retries the advisory lock; default 1000 ms. */
  lockRetryMs?: number;
  /** Runs after `handle`, before the checkpoint is saved (tests use it to simulate a crash). */
  beforeCheckpoint?: (events: StoredEvent[], client: PoolClient) => Promise<void>;
  /**
   * Commit batches with `synchronous_commit = off` (no wait for the WAL flush). Only for handlers
   * whose effects may be repeated: a crash can roll the checkpoint back (never forward), so the
   * last batches are handled again. The Kafka relay uses it; default false.
   */
  asyncCommit?: boolean;
  /** Batch and connection errors (the runner retries with backoff); default console.error. */
  onError?: (error: unknown) => void;
  /** Connection for the dedicated lock/LISTEN session; default the pool's options. */
  connection?: ClientConfig;
}

interface CheckpointRow {
  cp_transaction_id: string;
  cp_global_position: string;
}

type BatchRow = CheckpointRow & Partial<EventRow>;

const MAX_ERROR_BACKOFF_MS = 10_000;

function digits(value: string): string {
  if (!/^\d+$/.test(value)) throw new Error(`not a position: ${value}`);
  return value;
}

/**
 * Delivers every event of the store exactly once per checkpoint, in `(transaction_id,
 * global_position)` order, reading only below `pg_snapshot_xmin(pg_current_snapshot())` so a
 * transaction that commits late can never be skipped. Each batch is handled in a transaction that
 * also moves the checkpoint (compare-and-set), so handler writes and checkpoint commit together.
 *
 * One active runner per name across processes: the holder of `pg_try_advisory_lock` on a
 * dedicated session; standbys retry every `lockRetryMs` and take over when that session ends.
 * Woken by LISTEN/NOTIFY, with a fallback poll.
 */
export class SubscriptionRunner {
  readonly name: string;
  private readonly store: PostgresEventStore;
  private readonly opts: Required<
    Pick<
      SubscriptionOptions,
      'batchSize' | 'pollIntervalMs' | 'coalesceMs' | 'lockRetryMs' | 'onError'
    >
  > &
    SubscriptionOptions;
  private readonly sql: { read: string; heldBack: string };
  private running = false;
  private loop: Promise<void> | null = null;
  private session: Client | null = null;
  private holdsLock = false;
  private wakeRequested = false;
  private wakeSleeper: (() => void) | null = null;
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  /** After losing its session, a holder waits this long so a standby can take over. */
  private yieldUntil = 0;
  private unregisterLag?: () => void;

  constructor(options: SubscriptionOptions) {
    this.name = options.name;
    this.store = options.store;
    this.opts = {
      batchSize: 500,
      pollIntervalMs: 500,
      coalesceMs: 10,
      lockRetryMs: 1000,
      onError: (error: unknown) => console.error(`subscription ${options.name}:`, error),
      ...options,
    };
    const s = quoteIdent(this.store.schema);
    this.sql = {
      read: `SELECT cp.transaction_id::text AS cp_transaction_id,
                    cp.global_position::text AS cp_global_position, e.*
        FROM ${s}.subscription_checkpoints cp
        LEFT JOIN LATERAL (
          SELECT ${EVENT_COLUMNS} FROM ${s}.events ev
          WHERE ev.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            AND (ev.transaction_id, ev.global_position) > (cp.transaction_id, cp.global_position)
          ORDER BY ev.transaction_id, ev.global_position
          LIMIT $2
        ) e ON true
        WHERE cp.name = $1`,
      // max() reads one entry at the end of the (transaction_id, global_position) index; an
      // EXISTS over `transaction_id >= xmin` was planned as a scan of the whole table.
      heldBack: `SELECT coalesce((SELECT max(transaction_id) FROM ${s}.events)
        >= pg_snapshot_xmin(pg_current_snapshot()), false) AS held_back`,
    };
  }

  /** True while this instance holds the advisory lock (is the active runner). */
  get isActive(): boolean {
    return this.holdsLock;
  }

  /** Backend pid of the lock session, if connected (for diagnostics and failover tests). */
  get sessionPid(): number | undefined {
    return (this.session as unknown as { processID?: number } | null)?.processID;
  }

  /** Starts the loop (returns at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unregisterLag = metrics.registerLagSource(this, this.store.schema, () =>
      readSubscriptionLag(this.store.pool, this.store.schema),
    );
    this.loop = this.run();
  }

  /** Stops the loop, releases the lock and closes the session; pending batch finishes first. */
  async stop(): Promise<void> {
    this.running = false;
    this.unregisterLag?.();
    this.wake();
    await this.loop;
    this.loop = null;
    await this.closeSession();
  }

  /**
   * Resets the checkpoint to zero and runs `onReset` in the same transaction, so the subscription
   * replays every event. Safe while running here or in another process.
   */
  async rebuild(): Promise<void> {
    await this.exclusive(() =>
      rebuildSubscription(this.store, this.name, this.opts.onReset ?? (async () => undefined)),
    );
    this.wake();
  }

  /**
   * Handles at most one batch now, whether or not this instance holds the lock (the checkpoint
   * compare-and-set keeps it safe). Returns the number of events handled. For tests and tools.
   */
  async pollOnce(): Promise<number> {
    await this.ensureCheckpointRow();
    return (await this.exclusive(() => this.processBatch())).delivered;
  }

  private async run(): Promise<void> {
    let errors = 0;
    let heldBackDelay = 5;
    while (this.running) {
      try {
        if (!this.holdsLock && Date.now() < this.yieldUntil) {
          await this.sleep(this.yieldUntil - Date.now());
          continue;
        }
        if (!this.holdsLock && !(await this.acquire())) {
          await this.sleep(this.opts.lockRetryMs);
          continue;
        }
        const { delivered, heldBack } = await this.exclusive(() => this.processBatch());
        errors = 0;
        if (delivered > 0) {
          heldBackDelay = 5;
          if (delivered < this.opts.batchSize && this.opts.coalesceMs > 0) {
            await new Promise((resolve) => setTimeout(resolve, this.opts.coalesceMs));
          }
          continue;
        }
        if (heldBack) {
          // Committed events wait behind an older open transaction: poll fast until it ends.
          await this.sleep(heldBackDelay);
          heldBackDelay = Math.min(heldBackDelay * 2, this.opts.pollIntervalMs);
          continue;
        }
        await this.sleep(this.opts.pollIntervalMs);
      } catch (error) {
        errors++;
        this.opts.onError(error);
        await this.sleep(
          Math.min(this.opts.pollIntervalMs * 2 ** (errors - 1), MAX_ERROR_BACKOFF_MS),
        );
      }
    }
  }

  private async acquire(): Promise<boolean> {
    if (!this.session) {
      const session = new Client(this.opts.connection ?? this.store.pool.options);
      session.on('error', (error) => {
        // The session died (e.g. terminated): the lock is gone with it.
        if (this.session === session) {
          this.opts.onError(error);
          this.dropSession();
        }
      });
      session.on('notification', () => this.wake());
      this.session = session;
      try {
        await session.connect();
      } catch (error) {
        this.dropSession();
        throw error;
      }
    }
    const session = this.session;
    const { rows } = await session.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
      [this.lockKey()],
    );
    if (!rows[0].locked) return false;
    await session.query(`LISTEN ${quoteIdent(eventsChannel(this.store.schema))}`);
    await this.ensureCheckpointRow();
    this.holdsLock = this.session === session;
    return this.holdsLock;
  }

  private async processBatch(): Promise<{ delivered: number; heldBack: boolean }> {
    const pool = this.store.pool;
    const { rows } = await pool.query<BatchRow>(
      this.store.named('subscription-read', this.sql.read, [this.name, this.opts.batchSize]),
    );
    if (rows.length === 0) {
      await this.ensureCheckpointRow();
      return { delivered: 0, heldBack: false };
    }
    const from = rows[0];
    const eventRows = rows.filter((row) => row.global_position != null) as (CheckpointRow &
      EventRow)[];
    if (eventRows.length === 0) {
      const { rows: held } = await pool.query<{ held_back: boolean }>(this.sql.heldBack);
      return { delivered: 0, heldBack: held[0].held_back };
    }
    const events = eventRows.map((row) => this.store.toStoredEvent(row));
    const last = events[events.length - 1];
    const handled = await withTransactionClient(pool, async (client) => {
      // Positions come from the database as digits and the name is escaped, so the statements
      // around the handler can be sent as one simple query each (fewer round trips per batch).
      const name = client.escapeLiteral(this.name);
      const [fromTx, fromPos, toTx, toPos] = [
        from.cp_transaction_id,
        from.cp_global_position,
        last.transactionId,
        last.globalPosition,
      ].map(digits);
      const s = quoteIdent(this.store.schema);
      const opened = (await client.query(
        `BEGIN;${this.opts.asyncCommit ? ' SET LOCAL synchronous_commit = off;' : ''}
         SELECT 1 FROM ${s}.subscription_checkpoints
         WHERE name = ${name} AND transaction_id = '${fromTx}' AND global_position = ${fromPos}
         FOR UPDATE`,
      )) as unknown as QueryResult[];
      if (opened[opened.length - 1].rowCount !== 1) {
        // Checkpoint moved under us (rebuild, or a second runner): drop the batch and re-read.
        await client.query('ROLLBACK');
        return false;
      }
      await this.opts.handle(events, client);
      await this.opts.beforeCheckpoint?.(events, client);
      await client.query(
        `UPDATE ${s}.subscription_checkpoints
         SET transaction_id = '${toTx}', global_position = ${toPos}, updated_at = now()
         WHERE name = ${name}; COMMIT`,
      );
      return true;
    });
    if (!handled) return { delivered: 0, heldBack: true };
    metrics.subscriptionHandled(this.store.schema, this.name, events.length);
    return { delivered: events.length, heldBack: false };
  }

  private async ensureCheckpointRow(): Promise<void> {
    await this.store.pool.query(
      `INSERT INTO ${quoteIdent(this.store.schema)}.subscription_checkpoints (name)
       VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [this.name],
    );
  }

  private lockKey(): string {
    return `subscription:${this.store.schema}:${this.name}`;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.exclusiveTail.then(fn, fn);
    this.exclusiveTail = result.catch(() => undefined);
    return result;
  }

  private wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || !this.running) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = null;
        this.wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private dropSession(): void {
    const session = this.session;
    this.session = null;
    if (this.holdsLock) this.yieldUntil = Date.now() + 3 * this.opts.lockRetryMs;
    this.holdsLock = false;
    this.wake();
    session?.end().catch(() => undefined);
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = null;
    if (this.holdsLock) {
      this.holdsLock = false;
      await session
        .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.lockKey()])
        .catch(() => undefined);
    }
    await session.end().catch(() => undefined);
  }
}

/**
 * Resets subscription `name` to the start of the store and runs `onReset` (e.g. truncate its read
 * model) in the same transaction. Locks the checkpoint row first, as batches do, so it cannot
 * deadlock with a running batch.
 */
export async function rebuildSubscription(
  store: PostgresEventStore,
  name: string,
  onReset: (client: PoolClient) => Promise<void> = async () => undefined,
): Promise<void> {
  const s = quoteIdent(store.schema);
  await withTransaction(store.pool, async (client) => {
    await client.query(
      `INSERT INTO ${s}.subscription_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [name],
    );
    await client.query(`SELECT 1 FROM ${s}.subscription_checkpoints WHERE name = $1 FOR UPDATE`, [
      name,
    ]);
    await onReset(client);
    await client.query(
      `UPDATE ${s}.subscription_checkpoints
       SET transaction_id = '0', global_position = 0, updated_at = now() WHERE name = $1`,
      [name],
    );
  });
}
