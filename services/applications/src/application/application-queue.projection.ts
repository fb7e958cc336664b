import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient, Pool } from 'pg';
import type { Projection, StoredEvent } from '@lib/event-store';
import { PG_POOL, sqlMigration, ValidationProblem } from '@lib/platform';
import {
  type Application,
  type ApplicationEvent,
  type ApplicationState,
  evolve,
  initialState,
} from './application.decider';

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
 * from its stream with the decider's own `evolve` (read with the batch's client), so the row can
 * never disagree with the aggregate's rules.
 */
export const applicationQueueProjection = (
  readStream: (streamId: string, client: PoolClient) => Promise<StoredEvent[]>,
): Projection => ({
  name: 'applications.application-queue',
  project: async (events, client) => {
    const streams = [...new Set(events.map((e) => e.streamId))];
    for (const streamId of streams) {
      const history = await readStream(streamId, client);
      const upTo = Math.max(
        ...events.filter((e) => e.streamId === streamId).map((e) => e.streamVersion),
      );
      let state: ApplicationState = initialState();
      for (const event of history.filter((e) => e.streamVersion <= upTo)) {
        state = evolve(state, event as unknown as ApplicationEvent);
      }
      if (state.status !== 'empty') await upsert(client, state, upTo);
    }
  },
  reset: async (client) => {
    await client.query(`TRUNCATE ${TABLE}`);
  },
});

async function upsert(client: PoolClient, state: Application, version: number): Promise<void> {
  await client.query(
    `INSERT INTO ${TABLE} (id, owner, title, category, status, requested_asset, requested_amount,
       reviewers, review_count, round, version, created_at, submitted_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (id) DO UPDATE SET title = $3, category = $4, status = $5, requested_asset = $6,
       requested_amount = $7, reviewers = $8, review_count = $9, round = $10, version = $11,
       submitted_at = COALESCE(${TABLE}.submitted_at, $13), updated_at = $14
     WHERE ${TABLE}.version < $11`,
    [
      state.id,
      state.owner,
      state.fields.title,
      state.fields.category,
      state.status,
      state.fields.requestedFunding.asset,
      state.fields.requestedFunding.amount.toString(),
      state.reviewers,
      state.reviews.length,
      state.round,
      version,
      state.createdAt,
      state.round > 0 ? state.updatedAt : null,
      state.updatedAt,
    ],
  );
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

interface Cursor {
  createdAt: string;
  id: string;
}

export const encodeCursor = (row: Cursor) =>
  Buffer.from(JSON.stringify({ createdAt: row.createdAt, id: row.id })).toString('base64url');

/** Throws a ValidationProblem on a cursor this service did not issue. */
export function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (
      typeof parsed.id === 'string' &&
      /^[0-9a-f-]{36}$/.test(parsed.id) &&
      !Number.isNaN(Date.parse(parsed.createdAt))
    ) {
      return parsed;
    }
  } catch {
    // falls through to the problem below
  }
  throw new ValidationProblem(
    [{ field: 'cursor', code: 'invalid_cursor', message: 'not a cursor issued by this API' }],
    400,
  );
}

@Injectable()
export class ApplicationQueue {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Newest first; keyset pagination on (created_at, id). */
  async list(filters: QueueFilters): Promise<{ items: QueueRow[]; nextCursor: string | null }> {
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
      where.push(
        `(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(filters.limit + 1);
    const { rows } = await this.pool.query<{
      id: string;
      owner: string;
      title: string;
      category: string;
      status: string;
      requested_asset: string;
      requested_amount: string;
      reviewers: string[];
      review_count: number;
      version: number;
      created_at: Date;
      submitted_at: Date | null;
      updated_at: Date;
    }>(
      `SELECT * FROM ${TABLE} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, filters.limit).map((row) => ({
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
    }));
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > filters.limit && last ? encodeCursor(last) : null,
    };
  }
}
