import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { disbursementIdSchema } from '@lib/contracts';
import { z } from 'zod';
import {
  createCursorCodec,
  type MigrationClass,
  PG_POOL,
  queryCursor,
  sqlMigration,
} from '@lib/platform';
import type { Disbursement } from './disbursement';
import type { DisbursementView } from './disbursement-view.dto';

// The list of disbursements, written inline: in the same transaction as the events it shows (by
// the handler), so lists and treasury runs see every committed change at once. A row never moves
// back to an older version; any row can be rebuilt by folding its stream.

const TABLE = 'disbursements.disbursement_list';

export const disbursementListMigrations: MigrationClass[] = [
  sqlMigration('DisbursementList1764300000100', [
    `CREATE TABLE ${TABLE} (
       id text PRIMARY KEY,
       grant_id uuid NOT NULL,
       tranche int NOT NULL,
       status text NOT NULL,
       phase text NOT NULL,
       asset text NOT NULL,
       amount numeric(40, 0) NOT NULL,
       ready_at timestamptz,
       version int NOT NULL,
       requested_at timestamptz NOT NULL,
       view jsonb NOT NULL)`,
    `CREATE INDEX disbursement_list_ready ON ${TABLE} (phase, ready_at, id)`,
    `CREATE INDEX disbursement_list_grant ON ${TABLE} (grant_id)`,
    `CREATE INDEX disbursement_list_newest ON ${TABLE} (requested_at DESC, id DESC)`,
  ]),
];

export async function upsertListRow(
  client: PoolClient,
  state: Disbursement,
  version: number,
  view: DisbursementView,
): Promise<void> {
  await client.query(
    `INSERT INTO ${TABLE} AS t (id, grant_id, tranche, status, phase, asset, amount, ready_at,
       version, requested_at, view)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, phase = EXCLUDED.phase,
       ready_at = EXCLUDED.ready_at, version = EXCLUDED.version, view = EXCLUDED.view
     WHERE t.version < EXCLUDED.version`,
    [
      state.id,
      state.grantId,
      state.tranche,
      view.status,
      state.phase,
      state.asset,
      state.amount.toString(),
      state.readyAt,
      version,
      state.requestedAt,
      JSON.stringify(view),
    ],
  );
}

export interface ListFilters {
  status?: string[];
  grantId?: string;
  asset?: string;
  limit: number;
  cursor?: string;
}

const cursors = createCursorCodec(
  z
    .object({
      r: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      i: disbursementIdSchema,
    })
    .strict(),
);

/** The position after `row` (newest first: requested time, then id). */
export const encodeCursor = (row: { requestedAt: string; id: string }) =>
  cursors.encode({ r: new Date(row.requestedAt).toISOString(), i: row.id });

/** Only a cursor this API issued parses (a 400 `invalid_cursor` otherwise). */
export function decodeCursor(raw: string): { requestedAt: string; id: string } {
  const { r, i } = cursors.decode(raw);
  return { requestedAt: r, id: i };
}

/** The WHERE clause of a list or export (filters and keyset cursor) and its parameters. */
function conditions(filters: Omit<ListFilters, 'limit'>): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filters.status?.length) add('status = ANY(?)', filters.status);
  if (filters.grantId) add('grant_id = ?', filters.grantId);
  if (filters.asset) add('asset = ?', filters.asset);
  if (filters.cursor) {
    const cursor = decodeCursor(filters.cursor);
    params.push(cursor.requestedAt, cursor.id);
    where.push(`(requested_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

@Injectable()
export class DisbursementList {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Newest first; keyset pagination on (requested_at, id). */
  async list(
    filters: ListFilters,
  ): Promise<{ items: DisbursementView[]; nextCursor: string | null }> {
    const { where, params } = conditions(filters);
    params.push(filters.limit + 1);
    const { rows } = await this.pool.query<{ view: DisbursementView }>(
      `SELECT view FROM ${TABLE} ${where} ORDER BY requested_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, filters.limit).map((r) => r.view);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > filters.limit && last ? encodeCursor(last) : null,
    };
  }

  /**
   * Every row matching the filters (no page limit), in list order, through a database cursor: a
   * CSV export of any size holds one batch in memory at a time.
   */
  stream(filters: Omit<ListFilters, 'limit'>): AsyncGenerator<DisbursementView> {
    // Built now, so a bad cursor is a 400 before the response starts.
    const { where, params } = conditions(filters);
    const rows = queryCursor<{ view: DisbursementView }>(
      this.pool,
      `SELECT view FROM ${TABLE} ${where} ORDER BY requested_at DESC, id DESC`,
      params,
    );
    return (async function* () {
      for await (const row of rows) yield row.view;
    })();
  }

  /** Approved disbursements in approval order (what a treasury run considers). */
  async approved(): Promise<{ id: string; grantId: string; asset: string }[]> {
    const { rows } = await this.pool.query<{ id: string; grant_id: string; asset: string }>(
      `SELECT id, grant_id, asset FROM ${TABLE} WHERE phase = 'approved' ORDER BY ready_at, id`,
    );
    return rows.map((r) => ({ id: r.id, grantId: r.grant_id, asset: r.asset }));
  }

  /** Unreleased (or every) disbursement ids of a grant, for the grants consumer's transaction. */
  async ofGrant(client: PoolClient, grantId: string): Promise<string[]> {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM ${TABLE} WHERE grant_id = $1 ORDER BY tranche`,
      [grantId],
    );
    return rows.map((r) => r.id);
  }

  /** Count and sum per status and asset of what is not finished. */
  async pending(): Promise<{ status: string; asset: string; count: number; amount: bigint }[]> {
    const { rows } = await this.pool.query<{
      status: string;
      asset: string;
      count: number;
      amount: string;
    }>(
      `SELECT status, asset, count(*)::int AS count, sum(amount)::text AS amount FROM ${TABLE}
       WHERE status IN ('awaiting_approval', 'approved', 'held', 'released', 'failed')
       GROUP BY status, asset ORDER BY status, asset`,
    );
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }
}
