import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore, readStreamsOf, type StoredEvent } from '@lib/event-store';
import { createDataSource, migrateSchema, withTransaction } from '@lib/platform';
import { TEST_DATABASE_URL } from '@lib/testing';
import type { ApplicationsConfig } from '../config';
import { migrations } from '../migrations';
import type { ApplicationFields } from './application';
import type { Actor, ApplicationCommand } from './application.decider';
import { ApplicationHandler, applicationStreamId } from './application.handler';
import { ApplicationQueue, applicationQueueProjection } from './application-queue.projection';

// The review queue read model against real PostgreSQL: rows are the decider's own fold of each
// stream, whether the batch holds the whole history or only its tail, and never move back.
describe('application queue projection (real Postgres)', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  let handler: ApplicationHandler;
  let queue: ApplicationQueue;
  const now = new Date();
  const admin: Actor = { sub: `admin-${randomUUID().slice(0, 8)}`, roles: ['admin'] };

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    const dataSource = createDataSource({
      databaseUrl: TEST_DATABASE_URL,
      schema: 'applications',
      migrations,
    });
    await migrateSchema(pool, dataSource, 'applications');
    await dataSource.destroy();
    store = new PostgresEventStore(pool, 'applications');
    handler = new ApplicationHandler(store, { REVIEW_QUORUM: 2 } as ApplicationsConfig);
    queue = new ApplicationQueue(pool);
  });

  afterAll(async () => {
    await pool?.end();
  });

  const due = (months: number) => {
    const date = new Date(now);
    date.setUTCMonth(date.getUTCMonth() + months);
    return date.toISOString().slice(0, 10);
  };
  const fields = (title: string): ApplicationFields => ({
    title,
    summary: 'Proofs of model execution.',
    category: 'agents',
    team: [{ name: 'Ada', role: 'CEO' }],
    requestedFunding: { asset: 'USDC', amount: 50_000_000_000n },
    payoutAccount: 'ada.near',
    milestones: [
      { title: 'One', description: 'd', dueDate: due(6), amount: 20_000_000_000n },
      { title: 'Two', description: 'd', dueDate: due(12), amount: 30_000_000_000n },
    ],
    links: [],
  });
  const meta = (actor: Actor, at = new Date()) => ({ now: at, actor });

  async function draft(owner: Actor, title = `App ${randomUUID().slice(0, 8)}`, at = new Date()) {
    const id = randomUUID();
    await handler.execute(id, {
      type: 'CreateDraft',
      data: { applicationId: id, fields: fields(title) },
      metadata: meta(owner, at),
    });
    return id;
  }
  const run = (id: string, command: ApplicationCommand) => handler.execute(id, command);
  const events = (id: string): Promise<StoredEvent[]> => store.readStream(applicationStreamId(id));

  const project = (batch: StoredEvent[]) =>
    withTransaction(pool, (client) =>
      applicationQueueProjection(readStreamsOf(store)).project(batch, client),
    );
  const rowOf = async (owner: string, id: string) =>
    (await queue.list({ owner, limit: 100 })).items.find((row) => row.id === id);

  it('folds a whole history into one row with the aggregate’s status, reviewers and amount', async () => {
    const owner: Actor = { sub: `f-${randomUUID().slice(0, 8)}.near`, roles: ['founder'] };
    const id = await draft(owner);
    await run(id, { type: 'SubmitApplication', data: {}, metadata: meta(owner) });
    await run(id, {
      type: 'AssignReviewers',
      data: { reviewers: ['rev-a', 'rev-b'] },
      metadata: meta(admin),
    });
    await project(await events(id));
    const row = await rowOf(owner.sub, id);
    expect(row).toMatchObject({
      id,
      owner: owner.sub,
      status: 'under_review',
      version: 3,
      requestedAsset: 'USDC',
      requestedAmount: 50_000_000_000n,
      reviewers: ['rev-a', 'rev-b'],
      reviewCount: 0,
    });
    expect(row!.submittedAt).not.toBeNull();
    const reviewing = await queue.list({ reviewer: 'rev-a', status: ['under_review'], limit: 100 });
    expect(reviewing.items.map((r) => r.id)).toContain(id);
  });

  it('folds a batch that holds only the tail of a stream from the store', async () => {
    const owner: Actor = { sub: `f-${randomUUID().slice(0, 8)}.near`, roles: ['founder'] };
    const id = await draft(owner);
    await run(id, { type: 'SubmitApplication', data: {}, metadata: meta(owner) });
    const history = await events(id);
    await project(history.slice(1)); // only ApplicationSubmitted: the draft is read back
    expect(await rowOf(owner.sub, id)).toMatchObject({ status: 'submitted', version: 2 });
  });

  it('never moves a row back to an older version', async () => {
    const owner: Actor = { sub: `f-${randomUUID().slice(0, 8)}.near`, roles: ['founder'] };
    const id = await draft(owner);
    await run(id, { type: 'SubmitApplication', data: {}, metadata: meta(owner) });
    const history = await events(id);
    await project(history);
    await project(history.slice(0, 1)); // a replayed older batch
    expect(await rowOf(owner.sub, id)).toMatchObject({ status: 'submitted', version: 2 });
  });

  it('pages an owner’s rows newest first with a cursor', async () => {
    const owner: Actor = { sub: `f-${randomUUID().slice(0, 8)}.near`, roles: ['founder'] };
    const first = await draft(owner, 'First', new Date(now.getTime() - 2000));
    const second = await draft(owner, 'Second', new Date(now.getTime() - 1000));
    await project([...(await events(first)), ...(await events(second))]);
    const page1 = await queue.list({ owner: owner.sub, limit: 1 });
    expect(page1.items.map((r) => r.id)).toEqual([second]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await queue.list({ owner: owner.sub, limit: 1, cursor: page1.nextCursor! });
    expect(page2.items.map((r) => r.id)).toEqual([first]);
    expect(page2.nextCursor).toBeNull();
  });
});
