import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient, Pool } from 'pg';
import { foldBatch, type Projection, type ReadStreamsIn } from '@lib/event-store';
import { z } from 'zod';
import { createCursorCodec, PG_POOL, queryCursor, sqlMigration } from '@lib/platform';
import { type Application, evolve, initialState } from './application';

const SCHEMA = 'applications';
const TABLE = `${SCHEMA}.application_queue`;

/** The review queue / founder list read model: one row per application. */
export const applicationQueueMigrations = [
  sqlMigration('ApplicationQueue1764100001000', [
    `CREATE TABLE ${TABLE} (
       id uuid PRIMARY KEY,
       owner text NOT NULL,
       title text NOT NULL,
       category text NOT NULL,
       status text NOT NULL,
       requested_asset text NOT NULL,
       requested_amount numeric(40, 0) NOT NULL,
       reviewers text[] NOT NULL DEFAULT '{}',
       review_count int NOT NULL DEFAULT 0,
       round int NOT NULL DEFAULT 0,
       version int NOT NULL,
       created_at timestamptz NOT NULL,
       submitted_at timestamptz,
       updated_at timestamptz NOT NULL)`,
    `CREATE INDEX application_queue_owner ON ${TABLE} (owner, created_at DESC, id DESC)`,
    `CREATE INDEX application_queue_status ON ${TABLE} (status, created_at DESC, id DESC)`,
    `CREATE INDEX application_queue_reviewers ON ${TABLE} USING gin (reviewers)`,
  ]),
];

/**
 * Projects application streams into `application_queue`. Each touched application is folded
 * from its stream (up to the batch's last event of it) with the decider's own `evolve`
 * ({@link foldBatch}: from the batch when it holds the whole history, else read with the batch's
 * client), so the row can never disagree with the aggregate's rules. All rows are written in one
 * statement; a row never moves back to an older version.
 */
export const applicationQueueProjection = (readStreams: ReadStreamsIn): Projection => ({
  name: 'applications.application-queue',
  project: async (events, client) => {
    const folded = await foldBatch(events, { evolve, initialState, readStreams, client });
    const rows = folded.flatMap(({ state, version }) =>
      state.status === 'empty' ? [] : [rowOf(state, version)],
    );
    if (rows.length > 0) await upsert(client, rows);
  },
  reset: async (client) => {
    await client.query(`TRUNCATE ${TABLE}`);
  },
});

/** A row of `application_queue`; timestamps are written as ISO strings and read back as Dates. */
interface QueueTableRow<Time> {
  id: string;
  owner: string;
  title: string;
  category: string;
  status: string;
  requested_asset: string;
  requested_amount: string;
  reviewers: string[];
  review_count: number;
  round: number;
  version: number;
  created_at: Time;
  submitted_at: Time | null;
  updated_at: Time;
}

type QueueRowInput = QueueTableRow<string>;

function rowOf(state: Application, version: number): QueueRowInput {
  return {
    id: state.id,
    owner: state.owner,
    title: state.fields.title,
    category: state.fields.category,
    status: state.status,
    requested_asset: state.fields.requestedFunding.asset,
    requested_amount: state.fields.requestedFunding.amount.toString(),
    reviewers: state.reviewers,
    review_count: state.reviews.length,
    round: state.round,
    version,
    created_at: state.createdAt,
    submitted_at: state.round > 0 ? state.updatedAt : null,
    updated_at: state.updatedAt,
  };
}

/** One statement for the whole batch (ids are unique in it; sorted for a stable lock order). */
async function upsert(client: PoolClient, rows: QueueRowInput[]): Promise<void> {
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await client.query({
    name: 'application-queue-upsert', // prepared once per connection
    text: `INSERT INTO ${TABLE} AS t (id, owner, title, category, status, requested_asset,
       requested_amount, reviewers, review_count, round, version, created_at, submitted_at,
       updated_at)
     SELECT id, owner, title, category, status, requested_asset, requested_amount, reviewers,
       review_count, round, version, created_at, submitted_at, updated_at
     FROM json_populate_recordset(NULL::${TABLE}, $1::json)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, category = EXCLUDED.category,
       status = EXCLUDED.status, requested_asset = EXCLUDED.requested_asset,
       requested_amount = EXCLUDED.requested_amount, reviewers = EXCLUDED.reviewers,
       review_count = EXCLUDED.review_count, round = EXCLUDED.round, version = EXCLUDED.version,
       submitted_at = COALESCE(t.submitted_at, EXCLUDED.submitted_at),
       updated_at = EXCLUDED.updated_at
     WHERE t.version < EXCLUDED.version`,
    values: [JSON.stringify(rows)],
  });
}

export interface QueueFilters {
  owner?: string;
  status?: string[];
  category?: string[];
  reviewer?: string;
  createdFrom?: Date;
  createdTo?: Date;
  limit: number;
  cursor?: string;
}

export interface QueueRow {
  id: string;
  owner: string;
  title: string;
  category: string;
  status: string;
  requestedAsset: string;
  requestedAmount: bigint;
  reviewers: string[];
  reviewCount: number;
  version: number;
  createdAt: string;
  submittedAt: string | null;
  updatedAt: string;
}

/**
 * Keyset position of a list page: exactly what `encodeCursor` writes (an ISO instant from
 * `toISOString` and a uuid), so anything else — a number, an impossible date, a non-uuid — is a
 * 400 before it reaches SQL.
 */
const cursorSchema = z
  .object({
    createdAt: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      .refine((s) => {
        const ms = Date.parse(s);
        return ms >= 0 && new Date(ms).toISOString() === s;
      }),
    id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  })
  .strict();

type Cursor = z.infer<typeof cursorSchema>;

const cursors = createCursorCodec(cursorSchema);

export const encodeCursor = (row: Cursor) =>
  cursors.encode({ createdAt: row.createdAt, id: row.id });

/** Throws a 400 ValidationProblem (field `cursor`) on a cursor this service did not issue. */
export function decodeCursor(cursor: string): Cursor {
  return cursors.decode(cursor, 'cursor');
}

@Injectable()
export class ApplicationQueue {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Newest first; keyset pagination on (created_at, id). */
  async list(filters: QueueFilters): Promise<{ items: QueueRow[]; nextCursor: string | null }> {
    const { where, params } = conditions(filters);
    params.push(filters.limit + 1);
    const { rows } = await this.pool.query<QueueTableRow<Date>>(
      `SELECT * FROM ${TABLE} ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, filters.limit).map(toQueueRow);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > filters.limit && last ? encodeCursor(last) : null,
    };
  }

  /**
   * Every row matching the filters (no page limit), in list order, read through a database
   * cursor: a CSV export of any size holds one batch in memory at a time.
   */
  stream(filters: Omit<QueueFilters, 'limit'>): AsyncGenerator<QueueRow> {
    // Built now, so a bad cursor is a 400 before the response starts.
    const { where, params } = conditions(filters);
    const rows = queryCursor<QueueTableRow<Date>>(
      this.pool,
      `SELECT * FROM ${TABLE} ${where} ORDER BY created_at DESC, id DESC`,
      params,
    );
    return (async function* () {
      for await (const row of rows) yield toQueueRow(row);
    })();
  }
}

/** The WHERE clause of a list or export (filters and keyset cursor) and its parameters. */
function conditions(filters: Omit<QueueFilters, 'limit'>): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filters.owner !== undefined) add('owner = ?', filters.owner);
  if (filters.status?.length) add('status = ANY(?)', filters.status);
  if (filters.category?.length) add('category = ANY(?)', filters.category);
  if (filters.reviewer !== undefined) add('? = ANY(reviewers)', filters.reviewer);
  if (filters.createdFrom) add('created_at >= ?', filters.createdFrom);
  if (filters.createdTo) add('created_at < ?', filters.createdTo);
  if (filters.cursor) {
    const cursor = decodeCursor(filters.cursor);
    params.push(cursor.createdAt, cursor.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

function toQueueRow(row: QueueTableRow<Date>): QueueRow {
  return {
    id: row.id,
    owner: row.owner,
    title: row.title,
    category: row.category,
    status: row.status,
    requestedAsset: row.requested_asset,
    requestedAmount: BigInt(row.requested_amount),
    reviewers: row.reviewers,
    reviewCount: row.review_count,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    submittedAt: row.submitted_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  };
}
