import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Pool } from 'pg';
import { PostgresEventStore } from '@lib/event-store';
import { ProblemError } from '@lib/platform';
import type { Actor, MilestoneCommand } from './milestone.decider';
import { MilestoneHandler, milestoneStreamId } from './milestone.handler';
import { migratedTestPool, runAsGrantConsumer } from './milestone.int-harness';

const TRANCHES = 3;
const FOUNDER: Actor = { sub: 'ada.near', roles: ['founder'] };
const actors: Actor[] = [
  FOUNDER,
  { sub: 'eve.near', roles: ['founder'] },
  { sub: 'rev-alice', roles: ['reviewer'] },
  { sub: 'admin-bob', roles: ['admin'] },
  { sub: 'treasurer-tom', roles: ['treasurer'] },
];

type Step =
  | { kind: 'submit'; tranche: number; actor: number }
  | { kind: 'review'; tranche: number; accept: boolean; actor: number }
  | { kind: 'cancel' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      tranche: fc.integer({ min: 1, max: TRANCHES }),
      // mostly the founder, so sequences get far enough to be reviewed
      actor: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 4 })),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('review' as const),
      tranche: fc.integer({ min: 1, max: TRANCHES }),
      accept: fc.boolean(),
      actor: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(2, 3) }, fc.constantFrom(0, 1, 4)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const) }) }, // rare: it ends the game
);

describe('Milestone handler on real streams: random submit / review / cancel sequences', () => {
  let pool: Pool;
  let store: PostgresEventStore;
  let handler: MilestoneHandler;
  const now = new Date('2027-01-15T10:00:00.000Z');

  beforeAll(async () => {
    pool = await migratedTestPool();
    store = new PostgresEventStore(pool, 'milestones');
    handler = new MilestoneHandler(store);
  });

  afterAll(async () => {
    await pool?.end();
  });

  /** A grant event's commands run as the consumer runs them: in one transaction. */
  const fromGrantEvent = (grantId: string, command: (n: number) => MilestoneCommand) =>
    runAsGrantConsumer(
      pool,
      handler,
      grantId,
      Array.from({ length: TRANCHES }, (_, i) => [i + 1, command(i + 1)]),
    );

  it('stores MilestoneAccepted at most once per tranche, only after a submission, never after cancellation', async () => {
    let acceptedSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 25 }), async (steps) => {
        const grantId = randomUUID();
        await fromGrantEvent(grantId, (n) => ({
          type: 'OpenMilestone',
          data: {
            grantId,
            number: n,
            title: `M${n}`,
            dueDate: '2027-03-01',
            asset: 'NEAR',
            amount: 10n ** 24n,
            founder: FOUNDER.sub,
          },
          metadata: { now, actor: { sub: 'grants', roles: [] } },
        }));
        let cancelledAtPosition: bigint | undefined;
        for (const step of steps) {
          if (step.kind === 'cancel') {
            await fromGrantEvent(grantId, (n) => ({
              type: 'CancelMilestone',
              data: { grantId, number: n, reason: 'cancelled' },
              metadata: { now, actor: { sub: 'admin', roles: [] } },
            }));
            // Everything up to here happened before (or was) the cancellation.
            cancelledAtPosition ??= BigInt(
              (
                await pool.query<{ max: string }>(
                  'SELECT max(global_position)::text AS max FROM milestones.events WHERE stream_id LIKE $1',
                  [`milestone-${grantId}-%`],
                )
              ).rows[0].max,
            );
            continue;
          }
          const actor = actors[step.actor];
          const command: MilestoneCommand =
            step.kind === 'submit'
              ? {
                  type: 'SubmitMilestone',
                  data: { summary: 's', evidenceUrls: ['https://example.org/e'] },
                  metadata: { now, actor },
                }
              : {
                  type: 'ReviewMilestone',
                  data: step.accept
                    ? { decision: 'accept' }
                    : { decision: 'reject', comment: 'no' },
                  metadata: { now, actor },
                };
          await handler.execute(grantId, step.tranche, command).catch((error: unknown) => {
            if (!(error instanceof ProblemError) || error.status >= 500) throw error;
          });
        }
        for (let n = 1; n <= TRANCHES; n++) {
          const stream = await store.readStream(milestoneStreamId(grantId, n));
          const accepted = stream.filter((e) => e.type === 'MilestoneAccepted');
          expect(accepted.length).toBeLessThanOrEqual(1);
          acceptedSeen += accepted.length;
          for (const event of accepted) {
            const previous = stream[event.streamVersion - 2];
            expect(previous.type).toBe('MilestoneSubmitted');
            if (cancelledAtPosition !== undefined) {
              expect(BigInt(event.globalPosition)).toBeLessThanOrEqual(cancelledAtPosition);
            }
          }
          if (cancelledAtPosition !== undefined) {
            expect(['MilestoneAccepted', 'MilestoneCancelled']).toContain(stream.at(-1)!.type);
          }
        }
      }),
      { numRuns: 30 },
    );
    expect(acceptedSeen).toBeGreaterThan(0); // the sequences did reach acceptances
  }, 120_000);
});
