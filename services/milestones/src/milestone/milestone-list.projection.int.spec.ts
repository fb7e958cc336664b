import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PostgresEventStore, readStreamsOf, type StoredEvent } from '@lib/event-store';
import { withTransaction } from '@lib/platform';
import type { Actor, MilestoneCommand } from './milestone.decider';
import { MilestoneHandler, milestoneStreamId } from './milestone.handler';
import { migratedTestPool, runAsGrantConsumer } from './milestone.int-harness';
import { MilestoneList, milestoneListProjection } from './milestone-list.projection';

type ReviewCommand = Extract<MilestoneCommand, { type: 'ReviewMilestone' }>;

describe('milestone list projection (real Postgres)', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  let handler: MilestoneHandler;
  let list: MilestoneList;
  const now = new Date('2027-01-15T10:00:00.000Z');
  const reviewer: Actor = { sub: 'rev-int', roles: ['reviewer'] };

  beforeAll(async () => {
    pool = await migratedTestPool();
    store = new PostgresEventStore(pool, 'milestones');
    handler = new MilestoneHandler(store);
    list = new MilestoneList(pool);
  });

  afterAll(async () => {
    await pool?.end();
  });

  /** A grant with tranche 1 opened (through the consumer's transactional path). */
  async function openedGrant(founder = `f-${randomUUID().slice(0, 8)}.near`) {
    const grantId = randomUUID();
    await runAsGrantConsumer(pool, handler, grantId, [
      [
        1,
        {
          type: 'OpenMilestone',
          data: {
            grantId,
            number: 1,
            title: 'Prototype',
            dueDate: '2027-03-01',
            asset: 'USDC',
            amount: 15_000_500_000n,
            founder,
          },
          metadata: { now, actor: { sub: 'grants', roles: [] } },
        },
      ],
    ]);
    return { grantId, founder: { sub: founder, roles: ['founder'] } };
  }

  const project = (events: StoredEvent[]) =>
    withTransaction(pool, (client) =>
      milestoneListProjection(readStreamsOf(store)).project(events, client),
    );

  /** The founder submits tranche 1; the reviewer reviews it. */
  const submit = (grantId: string, founder: Actor) =>
    handler.execute(grantId, 1, {
      type: 'SubmitMilestone',
      data: { summary: 'Done', evidenceUrls: ['https://example.org/r'] },
      metadata: { now, actor: founder },
    });
  const review = (grantId: string, data: ReviewCommand['data']) =>
    handler.execute(grantId, 1, {
      type: 'ReviewMilestone',
      data,
      metadata: { now, actor: reviewer },
    });

  it('folds a whole stream from the batch into one row per milestone', async () => {
    const { grantId, founder } = await openedGrant();
    await submit(grantId, founder);
    await review(grantId, { decision: 'reject', comment: 'Private repo' });
    await project(await store.readStream(milestoneStreamId(grantId, 1)));

    expect(await list.forGrant(grantId)).toEqual([
      {
        grantId,
        number: 1,
        founder: founder.sub,
        title: 'Prototype',
        dueDate: '2027-03-01',
        asset: 'USDC',
        amount: 15_000_500_000n,
        status: 'rejected',
        submissions: [
          {
            number: 1,
            summary: 'Done',
            evidenceUrls: ['https://example.org/r'],
            submittedBy: founder.sub,
            submittedAt: now.toISOString(),
          },
        ],
        reviews: [
          {
            submission: 1,
            decision: 'reject',
            comment: 'Private repo',
            reviewedBy: 'rev-int',
            reviewedAt: now.toISOString(),
          },
        ],
        acceptedBy: null,
        version: 3,
        updatedAt: now.toISOString(),
      },
    ]);
  });

  it('reads the rest of a stream when the batch holds only its latest events, and never moves a row back', async () => {
    const { grantId, founder } = await openedGrant();
    const first = await store.readStream(milestoneStreamId(grantId, 1));
    await project(first);
    await submit(grantId, founder);
    await review(grantId, { decision: 'accept' });
    const all = await store.readStream(milestoneStreamId(grantId, 1));
    await project(all.slice(2)); // only MilestoneAccepted: versions 1–2 come from the store
    const [row] = await list.forGrant(grantId);
    expect(row).toMatchObject({ status: 'accepted', version: 3, acceptedBy: 'rev-int' });
    expect(row.submissions).toHaveLength(1);

    await project(first); // a replayed older batch
    expect((await list.forGrant(grantId))[0]).toMatchObject({ status: 'accepted', version: 3 });
  });

  it('shows nothing for a tranche closed before it opened', async () => {
    const grantId = randomUUID();
    await runAsGrantConsumer(pool, handler, grantId, [
      [
        4,
        {
          type: 'CancelMilestone',
          data: { grantId, number: 4, reason: 'cancelled' },
          metadata: { now, actor: { sub: 'admin', roles: [] } },
        },
      ],
    ]);
    await project(await store.readStream(milestoneStreamId(grantId, 4)));
    expect(await list.forGrant(grantId)).toEqual([]);
  });
});
