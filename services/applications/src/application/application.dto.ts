import { z } from 'zod';
import {
  AssetError,
  createAssetRegistry,
  nearAccountIdSchema,
  parseAmount,
  type AssetRegistry,
} from '@lib/near';
import {
  type Clock,
  checkedBody,
  decimalString,
  enumOf,
  futureDate,
  httpsUrl,
  raw,
  type ReportProblem,
  requiredString,
  text,
} from '@lib/platform';
import {
  APPLICATION_CATEGORIES,
  type ApplicationChanges,
  type ApplicationFields,
  type Money,
  type ProposedMilestone,
  RECOMMENDATIONS,
} from './application';
import { type DecisionInput, type ReviewInput } from './application.decider';

// HTTP bodies of DESIGN.md §7 → command data. The DTO owns shape, limits and decimals; sums and
// rules over the application's state are the decider's. Every body is a strict object; strings
// are NFC normalised and trimmed; amounts arrive as decimal strings and leave as bigint base units.
// The same schemas describe the bodies in the OpenAPI document (src/openapi.ts).

/** Decimals of each asset code; unknown codes are rejected. */
export type AssetDecimals = (asset: string) => number | undefined;

/** The decimals lookup of a configured asset registry (the service's NEAR config). */
export const assetDecimalsOf =
  (assets: AssetRegistry): AssetDecimals =>
  (asset) =>
    assets.find(asset)?.decimals;

// NEAR and USDC, for callers that do not pass the service's registry (unit tests, the document).
const builtInAssets = createAssetRegistry({ network: 'local' });

/** What validation needs from the caller: the clock (due dates) and the configured assets. */
export interface BodyContext extends Clock {
  assetDecimals?: AssetDecimals;
  /** Asset codes for the API document's enum (the registry's symbols). */
  assetCodes?: readonly string[];
}

const decimalsFrom = (ctx: Pick<BodyContext, 'assetDecimals'>): AssetDecimals =>
  ctx.assetDecimals ?? assetDecimalsOf(builtInAssets);
const codesFrom = (ctx: Pick<BodyContext, 'assetCodes' | 'assetDecimals'>): string[] => [
  ...(ctx.assetCodes ?? (ctx.assetDecimals ? [] : builtInAssets.list().map((a) => a.symbol))),
];

////////// limits

export const LIMITS = {
  title: 200,
  summary: 5000,
  description: 5000,
  name: 100,
  role: 100,
  contact: 200,
  comment: 5000,
  reason: 2000,
  url: 2048,
  links: 10,
  team: 20,
  milestones: 20,
  reviewers: 20,
  staffSub: 200,
} as const;

const MAX_BASE_UNITS = (1n << 128n) - 1n; // NEAR and NEP-141 balances are u128

////////// building blocks

const staffSub = () =>
  text(LIMITS.staffSub)
    .superRefine((value, ctx) => {
      if (/\s/.test(value)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: 'must not contain whitespace',
          params: { code: 'invalid_sub' },
        });
      }
    })
    .openapi({ type: 'string', minLength: 1, maxLength: LIMITS.staffSub, pattern: '^\\S+$' });

function assetCode(ctx: Pick<BodyContext, 'assetCodes' | 'assetDecimals'>) {
  const assetDecimals = decimalsFrom(ctx);
  const codes = codesFrom(ctx);
  return requiredString()
    .superRefine((value, refine) => {
      if (assetDecimals(value) === undefined) {
        refine.addIssue({
          code: z.ZodIssueCode.custom,
          message: `asset ${value} is not supported`,
          params: { code: 'unknown_asset' },
        });
      }
    })
    .openapi({
      type: 'string',
      ...(codes.length > 0 ? { enum: codes } : {}),
      description: 'An asset of the deployment’s registry (NEAR, USDC and NEAR_EXTRA_TOKENS).',
    });
}

/**
 * Checks each amount against the asset's decimals (via @lib/near's parseAmount), positivity and
 * the u128 range, reporting per field. Shapes other than a decimal string are left to the schema.
 */
function checkAmounts(
  report: ReportProblem,
  assetDecimals: AssetDecimals,
  asset: string | undefined,
  amounts: { value: unknown; path: (string | number)[] }[],
): void {
  const decimals = asset === undefined ? undefined : assetDecimals(asset);
  if (asset === undefined || decimals === undefined) return; // reported on the asset field
  for (const { value, path } of amounts) {
    if (typeof value !== 'string') continue;
    let units: bigint;
    try {
      units = parseAmount({ symbol: asset, decimals }, value);
    } catch (error) {
      if (error instanceof AssetError && error.code === 'too_many_decimals') {
        report('too_many_decimals', `${asset} has at most ${decimals} decimals`, path);
      }
      continue; // any other shape problem is the field schema's
    }
    if (units <= 0n) report('not_positive', 'must be greater than zero', path);
    else if (units > MAX_BASE_UNITS) report('too_large', 'amount is too large', path);
  }
}

/** Base units of a decimal string already checked by checkAmounts. */
const units = (assetDecimals: AssetDecimals, asset: string, amount: string): bigint =>
  parseAmount({ symbol: asset, decimals: assetDecimals(asset)! }, amount);

////////// POST /v1/applications and PATCH /v1/applications/{id}

function applicationShape(ctx: BodyContext) {
  return {
    title: text(LIMITS.title),
    summary: text(LIMITS.summary, { multiline: true }),
    category: enumOf([...APPLICATION_CATEGORIES]),
    team: z
      .array(
        z
          .object({
            name: text(LIMITS.name),
            role: text(LIMITS.role),
            contact: text(LIMITS.contact).optional(),
          })
          .strict(),
        { required_error: 'required', invalid_type_error: 'must be an array' },
      )
      .min(1, 'at least one team member')
      .max(LIMITS.team, `at most ${LIMITS.team} team members`),
    requestedFunding: z
      .object(
        { asset: assetCode(ctx), amount: decimalString() },
        { required_error: 'required', invalid_type_error: 'must be an object' },
      )
      .strict(),
    payoutAccount: nearAccountIdSchema,
    milestones: z
      .array(
        z
          .object({
            title: text(LIMITS.title),
            description: text(LIMITS.description, { multiline: true }),
            dueDate: futureDate(ctx),
            amount: decimalString(),
          })
          .strict(),
        { required_error: 'required', invalid_type_error: 'must be an array' },
      )
      .min(1, 'at least one milestone')
      .max(LIMITS.milestones, `at most ${LIMITS.milestones} milestones`)
      .openapi({
        description: 'Milestone amounts sum to requestedFunding.amount (the decider checks).',
      }),
    links: z
      .array(httpsUrl(LIMITS.url), { invalid_type_error: 'must be an array' })
      .max(LIMITS.links, `at most ${LIMITS.links} links`),
  };
}

type ApplicationShape = ReturnType<typeof applicationShape>;
type ParsedFunding = {
  requestedFunding: z.output<ApplicationShape['requestedFunding']>;
  milestones: z.output<ApplicationShape['milestones']>;
};

function checkFunding(input: unknown, report: ReportProblem, assetDecimals: AssetDecimals): void {
  const funding = raw.record(raw.record(input)?.requestedFunding);
  const milestones = raw.array(input, 'milestones') ?? [];
  checkAmounts(report, assetDecimals, funding ? raw.string(funding, 'asset') : undefined, [
    ...(funding ? [{ value: funding.amount, path: ['requestedFunding', 'amount'] }] : []),
    ...milestones.map((m, i) => ({
      value: raw.record(m)?.amount,
      path: ['milestones', i, 'amount'],
    })),
  ]);
}

function toFunding(
  parsed: ParsedFunding,
  assetDecimals: AssetDecimals,
): {
  requestedFunding: Money;
  milestones: ProposedMilestone[];
} {
  const { asset } = parsed.requestedFunding;
  return {
    requestedFunding: {
      asset,
      amount: units(assetDecimals, asset, parsed.requestedFunding.amount),
    },
    milestones: parsed.milestones.map((m) => ({
      ...m,
      amount: units(assetDecimals, asset, m.amount),
    })),
  };
}

/** The `POST /v1/applications` schema, before cross-field checks (for the API document). */
export function createApplicationSchema(ctx: BodyContext) {
  const shape = applicationShape(ctx);
  return z
    .object(
      { ...shape, links: shape.links.optional() },
      { invalid_type_error: 'body must be a JSON object' },
    )
    .strict()
    .openapi('CreateApplicationRequest');
}

/** `POST /v1/applications` → the draft's fields (amounts in base units). */
export function createApplicationBody(ctx: BodyContext) {
  const assetDecimals = decimalsFrom(ctx);
  return checkedBody(
    createApplicationSchema(ctx),
    (input, report) => checkFunding(input, report, assetDecimals),
    (parsed): ApplicationFields => ({
      title: parsed.title,
      summary: parsed.summary,
      category: parsed.category,
      team: parsed.team,
      payoutAccount: parsed.payoutAccount,
      links: parsed.links ?? [],
      ...toFunding(parsed, assetDecimals),
    }),
  );
}

/**
 * `PATCH /v1/applications/{id}` → the changed fields. `requestedFunding` and `milestones` are sent
 * together: milestone amounts only mean something in the funding's asset, and must sum to it.
 */
export function editApplicationBody(ctx: BodyContext) {
  const assetDecimals = decimalsFrom(ctx);
  const schema = z
    .object(applicationShape(ctx), { invalid_type_error: 'body must be a JSON object' })
    .partial()
    .strict()
    .openapi('EditApplicationRequest', {
      description: 'At least one field; requestedFunding and milestones change together.',
      minProperties: 1,
    });
  return checkedBody(
    schema,
    (input, report) => {
      const fields = raw.record(input);
      if (!fields) return;
      if (Object.keys(fields).length === 0) {
        report('empty_patch', 'send at least one field to change', []);
      }
      const hasFunding = 'requestedFunding' in fields;
      const hasMilestones = 'milestones' in fields;
      if (hasFunding !== hasMilestones) {
        const missing = hasFunding ? 'milestones' : 'requestedFunding';
        report('required_together', 'requestedFunding and milestones change together', [missing]);
      }
      if (hasFunding && hasMilestones) checkFunding(input, report, assetDecimals);
    },
    (parsed): ApplicationChanges => {
      const { requestedFunding, milestones, ...rest } = parsed;
      const changes: ApplicationChanges = Object.fromEntries(
        Object.entries(rest).filter(([, v]) => v !== undefined),
      );
      if (requestedFunding && milestones) {
        changes.funding = toFunding({ requestedFunding, milestones }, assetDecimals);
      }
      return changes;
    },
  );
}

////////// POST /v1/applications/{id}/withdraw

/** `POST /v1/applications/{id}/withdraw` — the body is optional. */
export const withdrawApplicationBody = z.preprocess(
  (input) => (input === undefined || input === null ? {} : input),
  z
    .object(
      { reason: text(LIMITS.reason, { multiline: true }).optional() },
      { invalid_type_error: 'body must be a JSON object' },
    )
    .strict()
    .openapi('WithdrawApplicationRequest'),
);

////////// POST /v1/applications/{id}/reviewers

/** `POST /v1/applications/{id}/reviewers` — staff identities (JWT `sub`), no duplicates. */
export const assignReviewersBody = z
  .object(
    {
      reviewers: z
        .array(staffSub(), { required_error: 'required', invalid_type_error: 'must be an array' })
        .min(1, 'at least one reviewer')
        .max(LIMITS.reviewers, `at most ${LIMITS.reviewers} reviewers`)
        .superRefine((reviewers, ctx) => {
          reviewers.forEach((r, i) => {
            if (reviewers.indexOf(r) !== i) {
              ctx.addIssue({
                code: z.ZodIssueCode.custom,
                message: `${r} is listed twice`,
                params: { code: 'duplicate' },
                path: [i],
              });
            }
          });
        })
        .openapi({ uniqueItems: true }),
    },
    { invalid_type_error: 'body must be a JSON object' },
  )
  .strict()
  .openapi('AssignReviewersRequest');

////////// POST /v1/applications/{id}/reviews

const score = () =>
  z
    .number({ required_error: 'required', invalid_type_error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'at least 1')
    .max(5, 'at most 5');

const reviewSchema = z
  .object(
    {
      scores: z
        .object(
          { team: score(), technical: score(), impact: score(), ecosystemFit: score() },
          { invalid_type_error: 'must be an object' },
        )
        .strict()
        .optional(),
      recommendation: enumOf([...RECOMMENDATIONS]).optional(),
      comment: text(LIMITS.comment, { multiline: true }).optional(),
      conflictOfInterest: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
    },
    { invalid_type_error: 'body must be a JSON object' },
  )
  .strict()
  .openapi('ReviewSubmission', {
    description:
      'Scores (1–5), recommendation and comment, unless `conflictOfInterest` is true (then only ' +
      'an optional comment is kept).',
  });

/**
 * `POST /v1/applications/{id}/reviews`. Scores, recommendation and comment are required unless
 * the reviewer declares a conflict of interest (then only an optional comment is kept).
 */
export const submitReviewBody = checkedBody(
  reviewSchema,
  (input, report) => {
    const review = raw.record(input);
    if (!review || review.conflictOfInterest === true) return;
    for (const key of ['scores', 'recommendation', 'comment'] as const) {
      if (review[key] === undefined) report('required', 'required', [key]);
    }
  },
  (parsed): ReviewInput =>
    parsed.conflictOfInterest
      ? { conflictOfInterest: true, ...(parsed.comment ? { comment: parsed.comment } : {}) }
      : {
          conflictOfInterest: false,
          scores: parsed.scores!,
          recommendation: parsed.recommendation!,
          comment: parsed.comment!,
        },
);

////////// POST /v1/applications/{id}/decision

/**
 * `POST /v1/applications/{id}/decision`. Approve carries grant terms; reject and request_changes
 * carry a reason and no grant. Whether the tranches sum to the amount, match the application's
 * milestones and stay within the request is the decider's rule.
 */
export function decisionBody(ctx: Pick<BodyContext, 'assetDecimals' | 'assetCodes'> = {}) {
  const assetDecimals = decimalsFrom(ctx);
  const schema = z
    .object(
      {
        decision: enumOf(['approve', 'reject', 'request_changes']),
        reason: text(LIMITS.reason, { multiline: true }).optional(),
        grant: z
          .object(
            {
              asset: assetCode(ctx),
              amount: decimalString(),
              tranches: z
                .array(
                  z
                    .object({
                      milestone: z
                        .number({
                          required_error: 'required',
                          invalid_type_error: 'must be a number',
                        })
                        .int('must be a whole number')
                        .min(1, 'milestones are numbered from 1')
                        .max(LIMITS.milestones, `at most ${LIMITS.milestones}`),
                      amount: decimalString(),
                    })
                    .strict(),
                  { required_error: 'required', invalid_type_error: 'must be an array' },
                )
                .min(1, 'at least one tranche')
                .max(LIMITS.milestones, `at most ${LIMITS.milestones} tranches`)
                .openapi({
                  description:
                    'One tranche per milestone; amounts sum to grant.amount (the decider checks).',
                }),
            },
            { invalid_type_error: 'must be an object' },
          )
          .strict()
          .optional()
          .openapi({ description: 'Required with approve, not allowed otherwise.' }),
      },
      { invalid_type_error: 'body must be a JSON object' },
    )
    .strict()
    .openapi('DecisionRequest', {
      description: 'approve needs `grant`; reject and request_changes need `reason`.',
    });
  return checkedBody(
    schema,
    (input, report) => {
      const body = raw.record(input);
      if (!body) return;
      const grant = raw.record(body.grant);
      if (body.decision === 'approve') {
        if (body.grant === undefined) report('required', 'approval needs grant terms', ['grant']);
      } else if (body.decision === 'reject' || body.decision === 'request_changes') {
        if (body.reason === undefined) report('required', 'a reason is required', ['reason']);
        if (body.grant !== undefined) {
          report('not_allowed', 'grant terms only come with an approval', ['grant']);
        }
      }
      if (!grant) return;
      const tranches = raw.array(grant, 'tranches') ?? [];
      const seen = new Set<unknown>();
      tranches.forEach((t, i) => {
        const milestone = raw.record(t)?.milestone;
        if (typeof milestone === 'number' && seen.has(milestone)) {
          report('duplicate', `milestone ${milestone} has more than one tranche`, [
            'grant',
            'tranches',
            i,
            'milestone',
          ]);
        }
        seen.add(milestone);
      });
      checkAmounts(report, assetDecimals, raw.string(grant, 'asset'), [
        { value: grant.amount, path: ['grant', 'amount'] },
        ...tranches.map((t, i) => ({
          value: raw.record(t)?.amount,
          path: ['grant', 'tranches', i, 'amount'],
        })),
      ]);
    },
    (parsed): DecisionInput => {
      switch (parsed.decision) {
        case 'approve': {
          const grant = parsed.grant!;
          return {
            decision: 'approve',
            ...(parsed.reason ? { reason: parsed.reason } : {}),
            grant: {
              asset: grant.asset,
              amount: units(assetDecimals, grant.asset, grant.amount),
              tranches: grant.tranches.map((t) => ({
                milestone: t.milestone,
                amount: units(assetDecimals, grant.asset, t.amount),
              })),
            },
          };
        }
        case 'reject':
        case 'request_changes':
          return { decision: parsed.decision, reason: parsed.reason! };
        default: {
          const unhandled: never = parsed.decision;
          throw new Error(`unhandled decision ${String(unhandled)}`);
        }
      }
    },
  );
}
