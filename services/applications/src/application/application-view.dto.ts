import { z } from 'zod';
import { formatAmount } from '@lib/near';
import { decimalString } from '@lib/platform';
import {
  APPLICATION_CATEGORIES,
  APPLICATION_STATUSES,
  type Application,
  type ApplicationStatus,
  type Decision,
  type Money,
  RECOMMENDATIONS,
  RUBRIC_CRITERIA,
} from './application';
import type { AssetDecimals } from './application.dto';
import type { QueueRow } from './application-queue.projection';

// The API shapes of an application and a list row: the view functions build them, the zod
// schemas below describe them in the OpenAPI document, and the return types come from the schemas
// so the two cannot part.

/** Who is looking: founders see their own application without reviewers' identities or comments. */
export type Audience = 'founder' | 'staff';

const staffOnly = <T extends z.ZodTypeAny>(schema: T, description = '') =>
  schema
    .optional()
    .openapi({ description: `${description} Staff only (absent for founders).`.trim() });
const timestamp = () => z.string().openapi({ format: 'date-time' });

const moneyView = z
  .object({ asset: z.string(), amount: decimalString() })
  .openapi('Money', { description: 'A decimal amount in the asset (`"2500.5"`).' });
const scoresView = z
  .object(Object.fromEntries(RUBRIC_CRITERIA.map((c) => [c, z.number().int().min(1).max(5)])))
  .openapi('RubricScores');
const reviewView = z
  .object({
    reviewer: z.string(),
    round: z.number().int().min(1),
    scores: scoresView,
    recommendation: z.enum(RECOMMENDATIONS),
    comment: z.string(),
    submittedAt: timestamp(),
  })
  .openapi('Review', { description: 'A review as staff see it (every round).' });
const anonymousReviewView = z
  .object({ scores: scoresView, recommendation: z.enum(RECOMMENDATIONS) })
  .openapi('AnonymousReview', {
    description: 'A review of the current round as the founder sees it: no reviewer, no comment.',
  });
const decisionView_ = z
  .object({
    decision: z.enum(RECOMMENDATIONS),
    reason: z.string().nullable(),
    decidedAt: timestamp(),
    decidedBy: staffOnly(z.string()),
    grant: z
      .object({
        asset: z.string(),
        amount: decimalString(),
        tranches: z.array(
          z.object({
            milestone: z.number().int().min(1),
            asset: z.string(),
            amount: decimalString(),
          }),
        ),
      })
      .optional()
      .openapi({ description: 'With an approval only.' }),
  })
  .openapi('DecisionView', { description: 'The latest decision.' });

/** What an application and its list row both show first. */
const identity = {
  id: z.string().uuid(),
  status: z.enum(APPLICATION_STATUSES),
  version: z.number().int().min(1),
  owner: z.string().openapi({ description: 'The founder’s JWT `sub` (their NEAR account).' }),
  title: z.string(),
};

/** One application as `GET /v1/applications/{id}` and every command answer return it. */
export const applicationViewSchema = z
  .object({
    ...identity,
    summary: z.string(),
    category: z.enum(APPLICATION_CATEGORIES),
    team: z.array(z.object({ name: z.string(), role: z.string(), contact: z.string().optional() })),
    requestedFunding: moneyView,
    payoutAccount: z.string(),
    milestones: z.array(
      z.object({
        number: z.number().int().min(1),
        title: z.string(),
        description: z.string(),
        dueDate: z.string().openapi({ format: 'date' }),
        amount: decimalString(),
      }),
    ),
    links: z.array(z.string().openapi({ format: 'uri' })),
    reviewers: staffOnly(z.array(z.string())),
    conflicted: staffOnly(z.array(z.string()), 'Reviewers who declared a conflict of interest.'),
    reviewSummary: z
      .object({
        round: z.number().int().min(0).openapi({ description: '0 until first submitted.' }),
        count: z.number().int().min(0),
        averageScores: z
          .object(Object.fromEntries(RUBRIC_CRITERIA.map((c) => [c, z.number()])))
          .nullable()
          .openapi({ description: 'Per criterion, two decimals; null without reviews.' }),
        reviews: z.array(z.union([reviewView, anonymousReviewView])).openapi({
          description: 'Staff: every review of every round; founders: this round, anonymous.',
        }),
      })
      .openapi('ReviewSummary'),
    decision: decisionView_.nullable(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .openapi('Application', { description: 'One application; the `ETag` header carries `version`.' });

/** One row of `GET /v1/applications`. */
export const queueItemViewSchema = z
  .object({
    ...identity,
    category: z.enum(APPLICATION_CATEGORIES),
    requestedFunding: moneyView,
    reviewers: staffOnly(z.array(z.string())),
    reviewCount: staffOnly(z.number().int().min(0)),
    createdAt: timestamp(),
    submittedAt: timestamp().nullable().openapi({ description: 'Null until first submitted.' }),
    updatedAt: timestamp(),
  })
  .openapi('ApplicationListItem');

export const applicationPageSchema = z
  .object({
    items: z.array(queueItemViewSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .openapi('ApplicationPage');

export type ApplicationView = z.input<typeof applicationViewSchema>;
export type QueueItemView = z.input<typeof queueItemViewSchema>;

/** Formats amounts with the decimals of the service's configured assets. */
export class ApplicationViews {
  constructor(private readonly assetDecimals: AssetDecimals) {}

  private money(value: Money) {
    return {
      asset: value.asset,
      amount: formatAmount({ decimals: this.assetDecimals(value.asset) ?? 0 }, value.amount),
    };
  }

  /** The API shape of one application (amounts as decimal strings of the asset). */
  application(state: Application, version: number, audience: Audience): ApplicationView {
    const { fields } = state;
    const asset = fields.requestedFunding.asset;
    const currentRound = state.reviews.filter((r) => r.round === state.round);
    const reviewSummary = {
      round: state.round,
      count: currentRound.length,
      averageScores:
        currentRound.length === 0
          ? null
          : Object.fromEntries(
              RUBRIC_CRITERIA.map((criterion) => [
                criterion,
                Math.round(
                  (currentRound.reduce((sum, r) => sum + r.scores[criterion], 0) /
                    currentRound.length) *
                    100,
                ) / 100,
              ]),
            ),
      // Founders see every score and recommendation, but not who gave it or their private comment.
      reviews:
        audience === 'staff'
          ? state.reviews
          : currentRound.map((r) => ({ scores: r.scores, recommendation: r.recommendation })),
    };
    return {
      id: state.id,
      status: state.status,
      version,
      owner: state.owner,
      title: fields.title,
      summary: fields.summary,
      category: fields.category,
      team: fields.team,
      requestedFunding: this.money(fields.requestedFunding),
      payoutAccount: fields.payoutAccount,
      milestones: fields.milestones.map((m, index) => ({
        number: index + 1,
        title: m.title,
        description: m.description,
        dueDate: m.dueDate,
        amount: this.money({ asset, amount: m.amount }).amount,
      })),
      links: fields.links,
      ...(audience === 'staff' ? { reviewers: state.reviewers, conflicted: state.conflicted } : {}),
      reviewSummary,
      decision: state.decision ? this.decision(state.decision, audience) : null,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
    };
  }

  /** One row of a list. */
  queueItem(row: QueueRow, audience: Audience): QueueItemView {
    return {
      id: row.id,
      status: row.status as ApplicationStatus,
      version: row.version,
      owner: row.owner,
      title: row.title,
      category: row.category as QueueItemView['category'],
      requestedFunding: this.money({ asset: row.requestedAsset, amount: row.requestedAmount }),
      ...(audience === 'staff' ? { reviewers: row.reviewers, reviewCount: row.reviewCount } : {}),
      createdAt: row.createdAt,
      submittedAt: row.submittedAt,
      updatedAt: row.updatedAt,
    };
  }

  private decision(decision: Decision, audience: Audience) {
    return {
      decision: decision.decision,
      reason: decision.reason ?? null,
      decidedAt: decision.at,
      ...(audience === 'staff' ? { decidedBy: decision.decidedBy } : {}),
      ...(decision.decision === 'approve'
        ? {
            grant: {
              ...this.money({ asset: decision.grant.asset, amount: decision.grant.amount }),
              tranches: decision.grant.tranches.map((t) => ({
                milestone: t.milestone,
                ...this.money({ asset: decision.grant.asset, amount: t.amount }),
              })),
            },
          }
        : {}),
    };
  }
}
