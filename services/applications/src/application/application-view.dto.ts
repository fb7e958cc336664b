import type { Application, Decision, Money } from './application.decider';
import { baseUnitsToDecimal, defaultAssetDecimals } from './application.dto';
import type { QueueRow } from './application-queue.projection';

/** Who is looking: founders see their own application without reviewers' identities or comments. */
export type Audience = 'founder' | 'staff';

const money = (value: Money) => ({
  asset: value.asset,
  amount: baseUnitsToDecimal(value.amount, defaultAssetDecimals(value.asset) ?? 0),
});

/** The API shape of one application (amounts as decimal strings of the asset). */
export function applicationView(state: Application, version: number, audience: Audience) {
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
            (['team', 'technical', 'impact', 'ecosystemFit'] as const).map((criterion) => [
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
  const decision = state.decision ? decisionView(state.decision, audience) : null;
  return {
    id: state.id,
    status: state.status,
    version,
    owner: state.owner,
    title: fields.title,
    summary: fields.summary,
    category: fields.category,
    team: fields.team,
    requestedFunding: money(fields.requestedFunding),
    payoutAccount: fields.payoutAccount,
    milestones: fields.milestones.map((m, index) => ({
      number: index + 1,
      title: m.title,
      description: m.description,
      dueDate: m.dueDate,
      amount: money({ asset, amount: m.amount }).amount,
    })),
    links: fields.links,
    ...(audience === 'staff' ? { reviewers: state.reviewers, conflicted: state.conflicted } : {}),
    reviewSummary,
    decision,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}

/** One row of a list. */
export function queueItemView(row: QueueRow, audience: Audience) {
  return {
    id: row.id,
    status: row.status,
    version: row.version,
    owner: row.owner,
    title: row.title,
    category: row.category,
    requestedFunding: money({ asset: row.requestedAsset, amount: row.requestedAmount }),
    ...(audience === 'staff' ? { reviewers: row.reviewers, reviewCount: row.reviewCount } : {}),
    createdAt: row.createdAt,
    submittedAt: row.submittedAt,
    updatedAt: row.updatedAt,
  };
}

function decisionView(decision: Decision, audience: Audience) {
  return {
    decision: decision.decision,
    reason: decision.reason ?? null,
    decidedAt: decision.at,
    ...(audience === 'staff' ? { decidedBy: decision.decidedBy } : {}),
    ...(decision.decision === 'approve'
      ? {
          grant: {
            ...money({ asset: decision.grant.asset, amount: decision.grant.amount }),
            tranches: decision.grant.tranches.map((t) => ({
              milestone: t.milestone,
              ...money({ asset: decision.grant.asset, amount: t.amount }),
            })),
          },
        }
      : {}),
  };
}
