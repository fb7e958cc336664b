import { z } from 'zod';
import { type AssetRegistry, formatAmount } from '@lib/near';
import { MILESTONE_STATUSES, type Milestone } from './milestone';
import type { MilestoneRow } from './milestone-list.projection';

/** Who is looking: founders do not see which staff member reviewed. */
export type Audience = 'founder' | 'staff';

/** Today's date comes from here, so `overdue` can be tested against any day. */
export interface MilestoneClock {
  now(): Date;
}
export const MILESTONE_CLOCK = Symbol('MILESTONE_CLOCK');
export const systemClock: MilestoneClock = { now: () => new Date() };

////////// response schemas (documented in openapi.ts)

export const submissionView = z.object({
  number: z.number().int().describe('1 for the first submission, +1 per resubmission.'),
  summary: z.string(),
  evidenceUrls: z.array(z.string().url()),
  submittedBy: z.string(),
  submittedAt: z.string().datetime({ offset: true }),
});

export const reviewView = z.object({
  submission: z.number().int().describe('The submission this review decided.'),
  decision: z.enum(['accept', 'reject']),
  comment: z.string().optional(),
  reviewedBy: z.string().optional().describe('Staff only.'),
  reviewedAt: z.string().datetime({ offset: true }),
});

export const milestoneView = z.object({
  grantId: z.string().uuid(),
  number: z.number().int().min(1).max(20).describe('Milestone = tranche number.'),
  title: z.string(),
  dueDate: z.string().describe('YYYY-MM-DD'),
  amount: z.string().describe('Decimal string in the asset, e.g. "15000.5".'),
  asset: z.string(),
  status: z.enum(MILESTONE_STATUSES),
  overdue: z
    .boolean()
    .describe(
      'Not accepted or cancelled, and the due date (UTC) has passed. Computed at read time.',
    ),
  version: z.number().int().describe('Send as If-Match to change this milestone.'),
  submissions: z.array(submissionView),
  reviews: z.array(reviewView),
  acceptedBy: z.string().nullable().optional().describe('Staff only.'),
});

export const milestoneListView = z.object({ items: z.array(milestoneView) });

export type MilestoneView = z.infer<typeof milestoneView>;

////////// building views

type Viewable = Pick<
  MilestoneRow,
  | 'grantId'
  | 'number'
  | 'title'
  | 'dueDate'
  | 'asset'
  | 'amount'
  | 'status'
  | 'submissions'
  | 'reviews'
  | 'acceptedBy'
  | 'version'
>;

/** Decimal string of `amount` base units; an asset this deployment does not know stays in base units. */
function decimal(assets: AssetRegistry, asset: string, amount: bigint): string {
  const known = assets.find(asset);
  return known ? formatAmount(known, amount) : amount.toString();
}

export function isOverdue(m: Pick<Viewable, 'status' | 'dueDate'>, now: Date): boolean {
  if (m.status === 'accepted' || m.status === 'cancelled') return false;
  return m.dueDate < now.toISOString().slice(0, 10);
}

export function milestoneViewOf(
  m: Viewable,
  context: { assets: AssetRegistry; now: Date; audience: Audience },
): MilestoneView {
  const staff = context.audience === 'staff';
  return {
    grantId: m.grantId,
    number: m.number,
    title: m.title,
    dueDate: m.dueDate,
    amount: decimal(context.assets, m.asset, m.amount),
    asset: m.asset,
    status: m.status,
    overdue: isOverdue(m, context.now),
    version: m.version,
    submissions: m.submissions.map((s) => ({
      number: s.number,
      summary: s.summary,
      evidenceUrls: s.evidenceUrls,
      submittedBy: s.submittedBy,
      submittedAt: s.submittedAt,
    })),
    reviews: m.reviews.map((r) => ({
      submission: r.submission,
      decision: r.decision,
      ...(r.comment !== undefined ? { comment: r.comment } : {}),
      ...(staff ? { reviewedBy: r.reviewedBy } : {}),
      reviewedAt: r.reviewedAt,
    })),
    ...(staff ? { acceptedBy: m.acceptedBy } : {}),
  };
}

/** The view of an aggregate state just written (the command's answer). */
export const stateViewable = (state: Milestone, version: number): Viewable => ({
  ...state,
  acceptedBy: state.acceptedBy ?? null,
  version,
});
