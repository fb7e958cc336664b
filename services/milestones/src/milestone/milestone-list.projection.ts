import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { foldBatch, type Projection, type ReadStreamsIn } from '@lib/event-store';
import { PG_POOL, sqlMigration } from '@lib/platform';
import {
  evolve,
  initialState,
  type Milestone,
  type MilestoneStatus,
  type Review,
  type Submission,
} from './milestone';
import { parseMilestoneStreamId } from './milestone.handler';

const SCHEMA = 'milestones';
const TABLE = `${SCHEMA}.milestone_list`;

/** The per-grant milestone list read model: one row per opened milestone. */
export const milestoneListMigrations = [
  sqlMigration('MilestoneList1764200001000', [
    `CREATE TABLE ${TABLE} (
       grant_id uuid NOT NULL,
       number int NOT NULL,
       founder text NOT NULL,
       title text NOT NULL,
       due_date date NOT NULL,
       asset text NOT NULL,
       amount numeric(40, 0) NOT NULL,
       status text NOT NULL,
       submissions jsonb NOT NULL,
       reviews jsonb NOT NULL,
       accepted_by text,
       version int NOT NULL,
       opened_at timestamptz NOT NULL,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (grant_id, number))`,
  ]),
];

/**
 * Projects milestone streams into `milestone_list`, its checkpoint in the same transaction. Each
 * touched milestone is folded from its stream with the aggregate's own `evolve` ({@link foldBatch}:
 * a stream wholly in the batch from version 1 is folded from the batch; the others are read with
 * the batch's client), so a row never disagrees with the aggregate. A row never moves back to an
 * older version.
 */
export const milestoneListProjection = (readStreams: ReadStreamsIn): Projection => ({
  name: 'milestones.milestone-list',
  project: async (events, client) => {
    const milestones = events.filter((event) => parseMilestoneStreamId(event.streamId));
    const folded = await foldBatch(milestones, { evolve, initialState, readStreams, client });
    // A tranche closed before it ever opened has nothing to show.
    const rows = folded.flatMap(({ state, version }) =>
      state.status === 'not_opened' ? [] : [rowOf(state, version)],
    );
    if (rows.length > 0) await upsert(client, rows);
  },
  reset: async (client) => {
    await client.query(`TRUNCATE ${TABLE}`);
  },
});

interface TableRow<Time, Day> {
  grant_id: string;
  number: number;
  founder: string;
  title: string;
  due_date: Day;
  asset: string;
  amount: string;
  status: string;
  submissions: Submission[];
  reviews: Review[];
  accepted_by: string | null;
  version: number;
  opened_at: Time;
  updated_at: Time;
}

type RowInput = TableRow<string, string>;

function rowOf(state: Milestone, version: number): RowInput {
  return {
    grant_id: state.grantId,
    number: state.number,
    founder: state.founder,
    title: state.title,
    due_date: state.dueDate,
    asset: state.asset,
    amount: state.amount.toString(),
    status: state.status,
    submissions: state.submissions,
    reviews: state.reviews,
    accepted_by: state.acceptedBy ?? null,
    version,
    opened_at: state.openedAt,
    updated_at: state.updatedAt,
  };
}

/** One statement for the whole batch (sorted for a stable lock order). */
async function upsert(client: PoolClient, rows: RowInput[]): Promise<void> {
  rows.sort((a, b) =>
    a.grant_id === b.grant_id ? a.number - b.number : a.grant_id < b.grant_id ? -1 : 1,
  );
  await client.query({
    name: 'milestone-list-upsert',
    text: `INSERT INTO ${TABLE} AS t (grant_id, number, founder, title, due_date, asset, amount,
       status, submissions, reviews, accepted_by, version, opened_at, updated_at)
     SELECT grant_id, number, founder, title, due_date, asset, amount, status, submissions,
       reviews, accepted_by, version, opened_at, updated_at
     FROM json_populate_recordset(NULL::${TABLE}, $1::json)
     ON CONFLICT (grant_id, number) DO UPDATE SET status = EXCLUDED.status,
       submissions = EXCLUDED.submissions, reviews = EXCLUDED.reviews,
       accepted_by = EXCLUDED.accepted_by, version = EXCLUDED.version,
       updated_at = EXCLUDED.updated_at
     WHERE t.version < EXCLUDED.version`,
    values: [JSON.stringify(rows)],
  });
}

/** One milestone as the list read model holds it. */
export interface MilestoneRow {
  grantId: string;
  number: number;
  founder: string;
  title: string;
  dueDate: string;
  asset: string;
  amount: bigint;
  status: MilestoneStatus;
  submissions: Submission[];
  reviews: Review[];
  acceptedBy: string | null;
  version: number;
  updatedAt: string;
}

@Injectable()
export class MilestoneList {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The grant's milestones in tranche order (empty when the grant has none, or is unknown). */
  async forGrant(grantId: string): Promise<MilestoneRow[]> {
    const { rows } = await this.pool.query<TableRow<Date, string>>({
      name: 'milestone-list-for-grant',
      text: `SELECT grant_id, number, founder, title, to_char(due_date, 'YYYY-MM-DD') AS due_date,
          asset, amount::text AS amount, status, submissions, reviews, accepted_by, version,
          opened_at, updated_at
        FROM ${TABLE} WHERE grant_id = $1 ORDER BY number`,
      values: [grantId],
    });
    return rows.map((row) => ({
      grantId: row.grant_id,
      number: row.number,
      founder: row.founder,
      title: row.title,
      dueDate: row.due_date,
      asset: row.asset,
      amount: BigInt(row.amount),
      status: row.status as MilestoneStatus,
      submissions: row.submissions,
      reviews: row.reviews,
      acceptedBy: row.accepted_by,
      version: row.version,
      updatedAt: row.updated_at.toISOString(),
    }));
  }
}
