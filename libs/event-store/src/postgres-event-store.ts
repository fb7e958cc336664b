import { metrics, quoteIdent } from '@lib/platform';
import type { Pool, PoolClient } from 'pg';
import { canonicalEventPartsWithData, canonicalJson } from './canonical';
import { eventsChannel } from './schema';
import { PartialDuplicateAppendError, StreamVersionConflictError } from './errors';
import type {
  AppendOptions,
  AppendResult,
  EventStoreOptions,
  ExpectedVersion,
  NewEvent,
  StoredEvent,
  Upcaster,
} from './types';

/** Columns selected for a {@link StoredEvent}; shared with subscriptions. */
export const EVENT_COLUMNS =
  'global_position, transaction_id::text AS transaction_id, stream_id, stream_version, event_id, type, ' +
  'schema_version, data, correlation_id, causation_id, actor, occurred_at, recorded_at, hash';

/** A row selected with {@link EVENT_COLUMNS}. */
export interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  correlation_id: string;
  causation_id: string | null;
  actor: string;
  occurred_at: Date;
  recorded_at: Date;
  hash: Buffer;
}

interface AppendRow {
  outcome: 'appended' | 'already_appended' | 'conflict' | 'partial_duplicate';
  stream_version: string | null;
  global_positions: string[] | null;
  duplicate_ids: string[] | null;
}

/** Minimum gap between two NOTIFYs of one store instance (they coalesce). */
const NOTIFY_INTERVAL_MS = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Event store on PostgreSQL, one instance per service schema (see `installEventStoreSchema` /
 * `eventStoreMigrations`). Appends are one round trip to the `append_events` function.
 */
export class PostgresEventStore {
  private readonly upcasters = new Map<string, Upcaster>();
  private readonly table: string;
  private readonly channel: string;
  private notifying = false;
  private notifyAgain = false;
  private notifyTimer: NodeJS.Timeout | null = null;
  private lastNotifyAt = 0;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
    options: EventStoreOptions = {},
  ) {
    this.table = `${quoteIdent(schema)}.events`;
    this.channel = eventsChannel(schema);
    for (const upcaster of options.upcasters ?? []) {
      const key = `${upcaster.type}@${upcaster.fromSchemaVersion}`;
      if (this.upcasters.has(key)) throw new Error(`duplicate upcaster for ${key}`);
      this.upcasters.set(key, upcaster);
    }
  }

  /**
   * Appends `events` atomically at `expectedVersion`.
   * - Throws {@link StreamVersionConflictError} if the stream is elsewhere (nothing written).
   * - If every event id is already in the stream, writes nothing and returns `alreadyAppended: true`.
   * - With `opts.client` it runs in the caller's transaction and the caller commits.
   */
  async append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: NewEvent[],
    opts: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = toExpectedCode(expectedVersion);
    if (events.length === 0) throw new RangeError('append: no events');
    const params = this.appendParams(streamId, expected, events);
    // In the caller's transaction we cannot see the commit, so NOTIFY from inside it. Our own
    // appends notify after commit instead: NOTIFY in a transaction holds a global lock through
    // the commit's WAL flush, which would serialize every concurrent append.
    const sql = `SELECT outcome, stream_version, global_positions, duplicate_ids
      FROM ${quoteIdent(this.schema)}.append_events($1, $2, $3, $4, $5, $6)`;
    params.push(opts.client !== undefined);
    let row: AppendRow;
    try {
      row = (await (opts.client ?? this.pool).query<AppendRow>(this.named('append', sql, params)))
        .rows[0];
    } catch (error) {
      // Only with expectedVersion 'any': two writers of the same event ids both passed the
      // no-lock check; the loser hit the unique key. Its transaction is gone, so retry once when
      // we own it (the retry reports already appended).
      if (!opts.client && isDuplicateEventId(error)) {
        row = (await this.pool.query<AppendRow>(this.named('append', sql, params))).rows[0];
      } else throw error;
    }
    const version = Number(row.stream_version ?? 0);
    switch (row.outcome) {
      case 'appended':
        if (!opts.client) this.notifyAfterCommit();
        metrics.eventStoreAppend(this.schema, 'appended', events.length);
        return {
          nextVersion: version,
          alreadyAppended: false,
          globalPositions: row.global_positions ?? [],
        };
      case 'already_appended':
        return {
          nextVersion: version,
          alreadyAppended: true,
          globalPositions: row.global_positions ?? [],
        };
      case 'conflict':
        metrics.eventStoreAppend(this.schema, 'conflict');
        throw new StreamVersionConflictError(streamId, expectedVersion, version);
      case 'partial_duplicate':
        throw new PartialDuplicateAppendError(streamId, row.duplicate_ids ?? []);
      default: {
        const never: never = row.outcome;
        throw new Error(`append_events: unexpected outcome ${String(never)}`);
      }
    }
  }

  /** Reads a stream in version order (from `fromVersion`, default 1), upcast to the latest schemas. */
  async readStream(
    streamId: string,
    opts: { fromVersion?: number; client?: PoolClient } = {},
  ): Promise<StoredEvent[]> {
    const { rows } = await (opts.client ?? this.pool).query<EventRow>(
      this.named(
        'read-stream',
        `SELECT ${EVENT_COLUMNS} FROM ${this.table}
         WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
        [streamId, opts.fromVersion ?? 1],
      ),
    );
    return rows.map((row) => this.toStoredEvent(row));
  }

  /**
   * Reads several streams in one query: for each `{ streamId, toVersion }` its events with
   * `stream_version <= toVersion`, in version order, upcast. Streams without events are absent.
   */
  async readStreams(
    ranges: readonly { streamId: string; toVersion: number }[],
    opts: { client?: PoolClient } = {},
  ): Promise<Map<string, StoredEvent[]>> {
    const result = new Map<string, StoredEvent[]>();
    if (ranges.length === 0) return result;
    const { rows } = await (opts.client ?? this.pool).query<EventRow>(
      this.named(
        'read-streams',
        // LATERAL: one index range scan per stream, whatever the row estimates (a join was
        // planned as a hash join over the whole table).
        `SELECT ev.* FROM unnest($1::text[], $2::bigint[]) AS r(r_stream_id, r_to_version),
       LATERAL (SELECT ${EVENT_COLUMNS} FROM ${this.table}
                WHERE stream_id = r.r_stream_id AND stream_version <= r.r_to_version
                ORDER BY stream_version) ev
       ORDER BY ev.stream_id, ev.stream_version`,
        [ranges.map((r) => r.streamId), ranges.map((r) => r.toVersion)],
      ),
    );
    for (const row of rows) {
      const event = this.toStoredEvent(row);
      const events = result.get(event.streamId);
      if (events) events.push(event);
      else result.set(event.streamId, [event]);
    }
    return result;
  }

  /** Current version of a stream, 0 if it does not exist. */
  async streamVersion(streamId: string, opts: { client?: PoolClient } = {}): Promise<number> {
    const { rows } = await (opts.client ?? this.pool).query<{ version: string }>(
      `SELECT version FROM ${quoteIdent(this.schema)}.streams WHERE stream_id = $1`,
      [streamId],
    );
    return rows.length === 0 ? 0 : Number(rows[0].version);
  }

  /**
   * A named (prepared) query: each pooled connection parses and plans `text` once instead of on
   * every call. Names are per store schema, whose name is part of every statement's text.
   */
  named(
    key: string,
    text: string,
    values: unknown[],
  ): { name: string; text: string; values: unknown[] } {
    return { name: `${key}:${this.schema}`, text, values };
  }

  /** Maps a row selected with {@link EVENT_COLUMNS} and upcasts it. */
  toStoredEvent(row: EventRow): StoredEvent {
    let { schema_version: schemaVersion, data } = row;
    for (;;) {
      const upcaster = this.upcasters.get(`${row.type}@${schemaVersion}`);
      if (!upcaster) break;
      data = upcaster.upcast(data);
      schemaVersion += 1;
    }
    return {
      eventId: row.event_id,
      type: row.type,
      schemaVersion,
      streamId: row.stream_id,
      streamVersion: Number(row.stream_version),
      globalPosition: row.global_position,
      transactionId: row.transaction_id,
      data,
      metadata: {
        correlationId: row.correlation_id,
        causationId: row.causation_id,
        actor: row.actor,
        occurredAt: row.occurred_at,
      },
      recordedAt: row.recorded_at,
      hash: row.hash.toString('hex'),
    };
  }

  /**
   * Wakes subscribers after our own commits, at most once per {@link NOTIFY_INTERVAL_MS} and one
   * at a time: a commit during a pending or in-flight NOTIFY gets a later one, so none goes
   * unannounced, and busy writers do not pay one NOTIFY transaction per append.
   */
  private notifyAfterCommit(): void {
    if (this.notifyTimer) return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    const wait = this.lastNotifyAt + NOTIFY_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.notifyTimer = setTimeout(() => {
        this.notifyTimer = null;
        this.sendNotify();
      }, wait);
      this.notifyTimer.unref(); // a lost wake-up only delays subscribers until their poll
      return;
    }
    this.sendNotify();
  }

  private sendNotify(): void {
    this.notifying = true;
    this.lastNotifyAt = Date.now();
    // NOTIFY gives the transaction an xid, so its commit would wait for a WAL flush; it carries
    // nothing durable, so skip that wait (one implicit transaction, one round trip).
    this.pool
      .query(`SET LOCAL synchronous_commit = off; SELECT pg_notify('${this.channel}', '')`)
      .catch(() => undefined) // subscribers also poll
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notifyAfterCommit();
        }
      });
  }

  private appendParams(streamId: string, expected: number, events: NewEvent[]): unknown[] {
    const eventIds: string[] = [];
    const heads: string[] = [];
    const tails: string[] = [];
    for (const event of events) {
      if (!UUID.test(event.eventId)) throw new TypeError(`eventId is not a UUID: ${event.eventId}`);
      const eventId = event.eventId.toLowerCase();
      if (eventIds.includes(eventId)) {
        throw new TypeError(`eventId ${eventId} appears twice in one batch`);
      }
      const schemaVersion = event.schemaVersion ?? 1;
      if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
        throw new TypeError(`schemaVersion must be a positive integer: ${schemaVersion}`);
      }
      // The canonical text is the single source of every stored column (SQL parses it), so the
      // hash covers exactly what is stored.
      const { head, tail } = canonicalEventPartsWithData(
        {
          streamId,
          eventId,
          type: event.type,
          schemaVersion,
          correlationId: event.metadata.correlationId,
          causationId: event.metadata.causationId ?? null,
          actor: event.metadata.actor,
          occurredAt: event.metadata.occurredAt.toISOString(),
        },
        canonicalJson(event.data),
      );
      eventIds.push(eventId);
      heads.push(head);
      tails.push(tail);
    }
    return [streamId, expected, eventIds, heads, tails];
  }
}

function toExpectedCode(expected: ExpectedVersion): number {
  if (expected === 'any') return -1;
  if (expected === 'no_stream') return 0;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(`expected version must be a non-negative integer: ${expected}`);
  }
  return expected;
}

function isDuplicateEventId(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: string }).code === '23505' &&
    (error as { constraint?: string }).constraint === 'events_stream_event_id_key'
  );
}
