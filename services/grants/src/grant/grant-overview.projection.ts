import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { foldBatch, type Projection, type ReadStreamsIn } from '@lib/event-store';
import {
  createCursorCodec,
  PG_POOL,
  queryCursor,
  quoteIdent,
  SERVICE_CONTEXT,
  type ServiceContext,
  sqlMigration,
  ValidationProblem,
} from '@lib/platform';
import { evolve, type Grant, initialState, type PayoutAccountPeriod } from './grant';

const overviewTable = (schema: string) => `${quoteIdent(schema)}.grant_overview`;
const progressTable = (schema: string) => `${quoteIdent(schema)}.tranche_progress`;

/**
 * The grant overview read model: one row per grant (from the grant streams, by the projection)
 * and one row per tranche with what the other services report about it (milestone, disbursement
 * and payout status, transaction hash), written by the Kafka consumers in their inbox transaction.
 */
export const grantOverviewMigrations = (schema: string) => [
  sqlMigration('GrantOverview1764200001000', overviewTablesDdl(schema)),
  sqlMigration('GrantOverviewSettled1764600001000', settledCountDdl(schema)),
];

/** The read model's tables in `schema`, as every migration leaves them. */
export function grantOverviewDdl(schema: string): string[] {
  return [...overviewTablesDdl(schema), ...settledCountDdl(schema)];
}

/**
 * How many tranches are settled, for the list and its CSV export. Rows written before it are
 * filled from what the disbursement topic reported (a rebuild of the projection folds it anew).
 */
function settledCountDdl(schema: string): string[] {
  const OVERVIEW = overviewTable(schema);
  return [
    `ALTER TABLE ${OVERVIEW} ADD COLUMN tranches_settled int NOT NULL DEFAULT 0`,
    `UPDATE ${OVERVIEW} o SET tranches_settled = (
       SELECT count(*) FROM ${progressTable(schema)} p
       WHERE p.grant_id = o.id AND p.disbursement_status = 'settled')`,
  ];
}

function overviewTablesDdl(schema: string): string[] {
  const OVERVIEW = overviewTable(schema);
  const PROGRESS = progressTable(schema);
  return [
    `CREATE TABLE ${OVERVIEW} (
       id uuid PRIMARY KEY,
       founder text NOT NULL,
       status text NOT NULL,
       title text NOT NULL,
       asset text NOT NULL,
       amount numeric(40, 0) NOT NULL,
       payout_accounts jsonb NOT NULL,
       tranche_count int NOT NULL,
       kyc_status text,
       version int NOT NULL,
       awarded_at timestamptz NOT NULL,
       updated_at timestamptz NOT NULL)`,
    `CREATE INDEX grant_overview_founder ON ${OVERVIEW} (founder, awarded_at DESC, id DESC)`,
    `CREATE INDEX grant_overview_status ON ${OVERVIEW} (status, awarded_at DESC, id DESC)`,
    `CREATE INDEX grant_overview_list ON ${OVERVIEW} (awarded_at DESC, id DESC)`,
    `CREATE TABLE ${PROGRESS} (
       grant_id uuid NOT NULL,
       tranche int NOT NULL,
       milestone_status text,
       disbursement_id text,
       disbursement_status text,
       payout_status text,
       tx_hash text,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (grant_id, tranche))`,
  ];
}

/**
 * Projects grant streams into `grant_overview`, folding each touched grant with the aggregate's
 * own `evolve` ({@link foldBatch}: from the batch when it holds the whole history, else read with
 * the batch's client). All rows are written in one statement; a row never moves back to an older
 * version.
 */
export const grantOverviewProjection = (
  readStreams: ReadStreamsIn,
  schema: string,
  name = 'grants.grant-overview',
): Projection => ({
  name,
  project: async (events, client) => {
    const folded = await foldBatch(events, { evolve, initialState, readStreams, client });
    const rows = folded.flatMap(({ state, version }) =>
      state.status === 'empty' ? [] : [rowOf(state, version)],
    );
    if (rows.length === 0) return;
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // stable lock order
    const OVERVIEW = overviewTable(schema);
    await client.query(
      `INSERT INTO ${OVERVIEW} AS t (id, founder, status, title, asset, amount, payout_accounts,
         tranche_count, tranches_settled, kyc_status, version, awarded_at, updated_at)
       SELECT id, founder, status, title, asset, amount, payout_accounts, tranche_count,
         tranches_settled, kyc_status, version, awarded_at, updated_at
       FROM json_populate_recordset(NULL::${OVERVIEW}, $1::json)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status,
         payout_accounts = EXCLUDED.payout_accounts, kyc_status = EXCLUDED.kyc_status,
         tranches_settled = EXCLUDED.tranches_settled, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE t.version < EXCLUDED.version`,
      [JSON.stringify(rows)],
    );
  },
  reset: async (client) => {
    await client.query(`TRUNCATE ${overviewTable(schema)}`);
  },
});

/** A row of `grant_overview`; timestamps are written as ISO strings and read back as Dates. */
interface OverviewTableRow<Time> {
  id: string;
  founder: string;
  status: string;
  title: string;
  asset: string;
  amount: string;
  payout_accounts: PayoutAccountPeriod[];
  tranche_count: number;
  tranches_settled: number;
  kyc_status: string | null;
  version: number;
  awarded_at: Time;
  updated_at: Time;
}

type OverviewRowInput = OverviewTableRow<string>;

function rowOf(grant: Grant, version: number): OverviewRowInput {
  return {
    id: grant.id,
    founder: grant.founder,
    status: grant.status,
    title: grant.title,
    asset: grant.asset,
    amount: grant.amount.toString(),
    payout_accounts: grant.payoutAccounts,
    tranche_count: grant.tranches.length,
    tranches_settled: Object.keys(grant.settled).length,
    kyc_status: grant.kyc?.status ?? null,
    version,
    awarded_at: grant.awardedAt,
    updated_at: grant.updatedAt,
  };
}

////////// tranche progress (written by the consumers, inside their inbox transaction)

/** What one integration event says about a tranche; absent fields stay as they were. */
export interface TrancheProgressPatch {
  milestoneStatus?: string;
  disbursementId?: string;
  disbursementStatus?: string;
  payoutStatus?: string;
  txHash?: string | null;
}

export async function recordTrancheProgress(
  client: PoolClient,
  schema: string,
  grantId: string,
  tranche: number,
  patch: TrancheProgressPatch,
): Promise<void> {
  await client.query(
    `INSERT INTO ${progressTable(schema)} AS t (grant_id, tranche, milestone_status, disbursement_id,
       disbursement_status, payout_status, tx_hash, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (grant_id, tranche) DO UPDATE SET
       milestone_status = COALESCE(EXCLUDED.milestone_status, t.milestone_status),
       disbursement_id = COALESCE(EXCLUDED.disbursement_id, t.disbursement_id),
       disbursement_status = COALESCE(EXCLUDED.disbursement_status, t.disbursement_status),
       payout_status = COALESCE(EXCLUDED.payout_status, t.payout_status),
       tx_hash = COALESCE(EXCLUDED.tx_hash, t.tx_hash),
       updated_at = now()`,
    [
      grantId,
      tranche,
      patch.milestoneStatus ?? null,
      patch.disbursementId ?? null,
      patch.disbursementStatus ?? null,
      patch.payoutStatus ?? null,
      patch.txHash ?? null,
    ],
  );
}

export interface TrancheProgress {
  tranche: number;
  milestoneStatus: string | null;
  disbursementId: string | null;
  disbursementStatus: string | null;
  payoutStatus: string | null;
  txHash: string | null;
}

////////// queries

export interface OverviewFilters {
  founder?: string;
  status?: string[];
  asset?: string;
  limit: number;
  cursor?: string;
}

export interface OverviewRow {
  id: string;
  founder: string;
  status: string;
  title: string;
  asset: string;
  amount: bigint;
  payoutAccounts: PayoutAccountPeriod[];
  trancheCount: number;
  tranchesSettled: number;
  kycStatus: string | null;
  version: number;
  awardedAt: string;
  updatedAt: string;
}

/** Keyset position (awarded_at, id); a cursor that does not parse to exactly this is a 400. */
const cursorCodec = createCursorCodec(
  z
    .object({
      a: z.string().datetime({ offset: false, precision: 3 }),
      i: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    })
    .strict(),
);

/** Only the exact bytes this API issues: another encoding of the same position is tampered too. */
function decodeCursor(cursor: string) {
  const position = cursorCodec.decode(cursor);
  if (cursorCodec.encode(position) !== cursor) {
    throw new ValidationProblem(
      [{ field: 'cursor', code: 'invalid_cursor', message: 'not a cursor issued by this API' }],
      400,
    );
  }
  return position;
}

@Injectable()
export class GrantOverview {
  private readonly overview: string;
  private readonly progressTable: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) service: ServiceContext,
  ) {
    this.overview = overviewTable(service.schema ?? 'grants');
    this.progressTable = progressTable(service.schema ?? 'grants');
  }

  /** Newest award first; keyset pagination on (awarded_at, id). */
  async list(
    filters: OverviewFilters,
  ): Promise<{ items: OverviewRow[]; nextCursor: string | null }> {
    const { where, params } = conditions(filters);
    params.push(filters.limit + 1);
    const { rows } = await this.pool.query<OverviewTableRow<Date>>(
      `SELECT * FROM ${this.overview} ${where}
       ORDER BY awarded_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, filters.limit).map(toOverviewRow);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor:
        rows.length > filters.limit && last
          ? cursorCodec.encode({ a: last.awardedAt, i: last.id })
          : null,
    };
  }

  /**
   * Every row matching the filters (no page limit), in list order, through a database cursor:
   * an export of any size holds one batch in memory at a time.
   */
  stream(filters: Omit<OverviewFilters, 'limit'>): AsyncGenerator<OverviewRow> {
    // Built now, so a bad cursor is a 400 before the response starts.
    const { where, params } = conditions(filters);
    const rows = queryCursor<OverviewTableRow<Date>>(
      this.pool,
      `SELECT * FROM ${this.overview} ${where} ORDER BY awarded_at DESC, id DESC`,
      params,
    );
    return (async function* () {
      for await (const row of rows) yield toOverviewRow(row);
    })();
  }

  /** What the other services reported per tranche of `grantId`. */
  async progress(grantId: string): Promise<TrancheProgress[]> {
    const { rows } = await this.pool.query<{
      tranche: number;
      milestone_status: string | null;
      disbursement_id: string | null;
      disbursement_status: string | null;
      payout_status: string | null;
      tx_hash: string | null;
    }>(
      `SELECT tranche, milestone_status, disbursement_id, disbursement_status, payout_status, tx_hash
       FROM ${this.progressTable} WHERE grant_id = $1 ORDER BY tranche`,
      [grantId],
    );
    return rows.map((row) => ({
      tranche: row.tranche,
      milestoneStatus: row.milestone_status,
      disbursementId: row.disbursement_id,
      disbursementStatus: row.disbursement_status,
      payoutStatus: row.payout_status,
      txHash: row.tx_hash,
    }));
  }
}

/** The WHERE clause of a list or export (filters and keyset cursor) and its parameters. */
function conditions(filters: Omit<OverviewFilters, 'limit'>): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filters.founder !== undefined) add('founder = ?', filters.founder);
  if (filters.status?.length) add('status = ANY(?)', filters.status);
  if (filters.asset !== undefined) add('asset = ?', filters.asset);
  if (filters.cursor !== undefined) {
    const cursor = decodeCursor(filters.cursor);
    params.push(cursor.a, cursor.i);
    where.push(`(awarded_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

function toOverviewRow(row: OverviewTableRow<Date>): OverviewRow {
  return {
    id: row.id,
    founder: row.founder,
    status: row.status,
    title: row.title,
    asset: row.asset,
    amount: BigInt(row.amount),
    payoutAccounts: row.payout_accounts,
    trancheCount: row.tranche_count,
    tranchesSettled: row.tranches_settled,
    kycStatus: row.kyc_status,
    version: row.version,
    awardedAt: row.awarded_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
