import { type FieldProblem, ValidationProblem } from '@lib/platform';
import { z } from 'zod';
import { createAssetRegistry, formatAmount, isValidNearAccountId } from '@lib/near';
import {
  APPLICATION_CATEGORIES,
  type ApplicationChanges,
  type ApplicationFields,
  type DecisionInput,
  type Money,
  type ProposedMilestone,
  RECOMMENDATIONS,
  type ReviewInput,
} from './application.decider';

// HTTP bodies of DESIGN.md §7 → command data. Every body is a strict object; strings are NFC
// normalised and trimmed; amounts arrive as decimal strings and leave as bigint base units.

////////// NEAR rules (from @lib/near, the one place they are written down)

/** NEAR account id rules: named (2–64), implicit (64 hex) or 0x-implicit (0x + 40 hex). */
export const isNearAccountId = (id: string): boolean => isValidNearAccountId(id);

const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;
const MAX_BASE_UNITS = (1n << 128n) - 1n; // NEAR and NEP-141 balances are u128

/** Converts a validated decimal string to whole base units (`"2500.5"`, 6 → 2500500000n). */
export function decimalToBaseUnits(decimal: string, decimals: number): bigint {
  const match = DECIMAL.exec(decimal);
  if (!match) throw new RangeError(`not a decimal amount: ${decimal}`);
  const fraction = (match[2] ?? '').slice(1);
  if (fraction.length > decimals)
    throw new RangeError(`more than ${decimals} decimals: ${decimal}`);
  return BigInt(match[1] + fraction.padEnd(decimals, '0'));
}

/** Formats base units as the shortest decimal string (2500500000n, 6 → `"2500.5"`). */
export const baseUnitsToDecimal = (amount: bigint, decimals: number): string =>
  formatAmount({ decimals }, amount);

/** Decimals of each asset code; unknown codes are rejected. */
export type AssetDecimals = (asset: string) => number | undefined;

// Decimals do not differ between networks (only contract ids do), so any network's registry answers.
const assets = createAssetRegistry({ network: 'local' });

/** Decimals of the configured assets (NEAR 24, USDC 6, …) from @lib/near's asset registry. */
export const defaultAssetDecimals: AssetDecimals = (asset) => assets.find(asset)?.decimals;

/** What validation needs from the caller: the clock (due dates) and the configured assets. */
export interface BodyContext {
  now: Date;
  assetDecimals?: AssetDecimals;
}

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

////////// building blocks

// Tab, LF and CR are allowed in multi-line text; every other C0/C1 control character is not.
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function issue(ctx: z.RefinementCtx, code: string, message: string, path?: (string | number)[]) {
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message,
    params: { code },
    ...(path ? { path } : {}),
  });
}

const str = () => z.string({ required_error: 'required', invalid_type_error: 'must be a string' });

/** NFC-normalised, trimmed text of 1..max characters (code points). */
function text(max: number, options: { multiline?: boolean } = {}) {
  const control = options.multiline ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE;
  return str().transform((raw, ctx) => {
    if (LONE_SURROGATE.test(raw)) {
      issue(ctx, 'invalid_unicode', 'contains unpaired surrogates');
      return z.NEVER;
    }
    const value = raw.normalize('NFC').trim();
    if (control.test(value)) {
      issue(ctx, 'control_character', 'control characters are not allowed');
      return z.NEVER;
    }
    const length = [...value].length;
    if (length === 0) issue(ctx, 'required', 'must not be empty');
    else if (length > max) issue(ctx, 'too_long', `at most ${max} characters`);
    return value;
  });
}

const httpsUrl = () =>
  text(LIMITS.url).superRefine((value, ctx) => {
    if (!value) return; // already reported as empty
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return issue(ctx, 'invalid_url', 'must be an absolute https URL');
    }
    if (url.protocol !== 'https:' || !url.hostname) {
      issue(ctx, 'invalid_url', 'must be an absolute https URL');
    } else if (url.username || url.password) {
      issue(ctx, 'invalid_url', 'must not carry credentials');
    }
  });

const nearAccountId = () =>
  str().superRefine((value, ctx) => {
    if (!isNearAccountId(value)) {
      issue(
        ctx,
        'invalid_account_id',
        'not a NEAR account id (named a-z0-9 with -_. separators, 2–64 chars; 64 hex; or 0x + 40 hex)',
      );
    }
  });

/** Decimal string shape only; decimals and positivity depend on the asset and are checked per body. */
const decimalAmount = () =>
  str().superRefine((value, ctx) => {
    if (!DECIMAL.test(value))
      issue(ctx, 'invalid_amount', 'must be a decimal string like "2500.50"');
  });

function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

const futureDate = (ctx: BodyContext) =>
  str().superRefine((value, refine) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const [year, month, day] = (match ?? []).slice(1).map(Number);
    const date = match ? new Date(Date.UTC(year, month - 1, day)) : undefined;
    // Date.UTC rolls 2027-02-30 over to March; a real date survives the round trip.
    if (!date || date.toISOString().slice(0, 10) !== value) {
      return issue(refine, 'invalid_date', 'must be a calendar date YYYY-MM-DD');
    }
    const today = isoDate(ctx.now);
    if (value <= today) issue(refine, 'date_not_in_future', `must be after ${today}`);
  });

const staffSub = () =>
  text(LIMITS.staffSub).superRefine((value, ctx) => {
    if (/\s/.test(value)) issue(ctx, 'invalid_sub', 'must not contain whitespace');
  });

const enumOf = <const T extends [string, ...string[]]>(values: T) =>
  z.enum(values, {
    errorMap: (i, c) =>
      i.code === 'invalid_type' && c.data === undefined
        ? { message: 'required' }
        : { message: `must be one of: ${values.join(', ')}` },
  });

/**
 * Runs `schema` and, whatever its outcome, the cross-field `checks` on the raw input, so one
 * response lists every problem (zod alone skips object-level refinements once a field fails).
 * `checks` sees unvalidated input and must be defensive; `build` runs only on a clean result.
 */
function body<S extends z.ZodTypeAny, O>(
  schema: S,
  checks: (raw: unknown, report: Report) => void,
  build: (value: z.output<S>) => O,
) {
  return z.unknown().transform((raw, ctx): O => {
    const result = schema.safeParse(raw);
    if (!result.success) {
      for (const zodIssue of result.error.issues) ctx.addIssue(zodIssue);
    }
    let reported = 0;
    checks(raw, (code, message, path) => {
      reported += 1;
      issue(ctx, code, message, path);
    });
    if (!result.success || reported > 0) return z.NEVER;
    return build(result.data as z.output<S>);
  });
}

type Report = (code: string, message: string, path: (string | number)[]) => void;

////////// defensive readers for cross-field checks

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const stringAt = (value: unknown, key: string): string | undefined => {
  const v = record(value)?.[key];
  return typeof v === 'string' ? v : undefined;
};
const arrayAt = (value: unknown, key: string): unknown[] | undefined => {
  const v = record(value)?.[key];
  return Array.isArray(v) ? v : undefined;
};

/**
 * Checks every amount against the asset's decimals, positivity and u128 range, then that `parts`
 * sum to `total`. Amount strings with a bad shape are left to the schema's own error.
 */
function checkAmounts(
  report: Report,
  assetDecimals: AssetDecimals,
  asset: string | undefined,
  total: { value: unknown; path: (string | number)[] } | undefined,
  parts: { value: unknown; path: (string | number)[] }[],
  sum: { path: (string | number)[]; message: string },
): void {
  const decimals = asset === undefined ? undefined : assetDecimals(asset);
  if (decimals === undefined) return; // unknown asset: reported on the asset field
  const parse = (entry: { value: unknown; path: (string | number)[] }): bigint | undefined => {
    if (typeof entry.value !== 'string' || !DECIMAL.test(entry.value)) return undefined;
    const fraction = entry.value.split('.')[1] ?? '';
    if (fraction.length > decimals) {
      report('too_many_decimals', `${asset} has at most ${decimals} decimals`, entry.path);
      return undefined;
    }
    const units = decimalToBaseUnits(entry.value, decimals);
    if (units <= 0n) {
      report('not_positive', 'must be greater than zero', entry.path);
      return undefined;
    }
    if (units > MAX_BASE_UNITS) {
      report('too_large', 'amount is too large', entry.path);
      return undefined;
    }
    return units;
  };
  const totalUnits = total ? parse(total) : undefined;
  const partUnits = parts.map(parse);
  if (totalUnits === undefined || partUnits.some((u) => u === undefined)) return;
  const partSum = partUnits.reduce<bigint>((a, u) => a + (u ?? 0n), 0n);
  if (parts.length > 0 && partSum !== totalUnits) report('sum_mismatch', sum.message, sum.path);
}

function assetCode(assetDecimals: AssetDecimals) {
  return str().superRefine((value, ctx) => {
    if (assetDecimals(value) === undefined)
      issue(ctx, 'unknown_asset', `asset ${value} is not supported`);
  });
}

////////// POST /v1/applications and PATCH /v1/applications/{id}

function applicationShape(ctx: BodyContext) {
  const assetDecimals = ctx.assetDecimals ?? defaultAssetDecimals;
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
        { asset: assetCode(assetDecimals), amount: decimalAmount() },
        { required_error: 'required', invalid_type_error: 'must be an object' },
      )
      .strict(),
    payoutAccount: nearAccountId(),
    milestones: z
      .array(
        z
          .object({
            title: text(LIMITS.title),
            description: text(LIMITS.description, { multiline: true }),
            dueDate: futureDate(ctx),
            amount: decimalAmount(),
          })
          .strict(),
        { required_error: 'required', invalid_type_error: 'must be an array' },
      )
      .min(1, 'at least one milestone')
      .max(LIMITS.milestones, `at most ${LIMITS.milestones} milestones`),
    links: z
      .array(httpsUrl(), { invalid_type_error: 'must be an array' })
      .max(LIMITS.links, `at most ${LIMITS.links} links`),
  };
}

type ApplicationShape = ReturnType<typeof applicationShape>;
type ParsedFunding = {
  requestedFunding: z.output<ApplicationShape['requestedFunding']>;
  milestones: z.output<ApplicationShape['milestones']>;
};

function checkFunding(raw: unknown, report: Report, assetDecimals: AssetDecimals): void {
  const funding = record(record(raw)?.requestedFunding);
  const milestones = arrayAt(raw, 'milestones') ?? [];
  checkAmounts(
    report,
    assetDecimals,
    funding ? stringAt(funding, 'asset') : undefined,
    funding ? { value: funding.amount, path: ['requestedFunding', 'amount'] } : undefined,
    milestones.map((m, i) => ({ value: record(m)?.amount, path: ['milestones', i, 'amount'] })),
    { path: ['milestones'], message: 'milestone amounts must sum to requestedFunding.amount' },
  );
}

function toFunding(
  parsed: ParsedFunding,
  assetDecimals: AssetDecimals,
): {
  requestedFunding: Money;
  milestones: ProposedMilestone[];
} {
  const { asset } = parsed.requestedFunding;
  const decimals = assetDecimals(asset)!;
  return {
    requestedFunding: {
      asset,
      amount: decimalToBaseUnits(parsed.requestedFunding.amount, decimals),
    },
    milestones: parsed.milestones.map((m) => ({
      ...m,
      amount: decimalToBaseUnits(m.amount, decimals),
    })),
  };
}

/** `POST /v1/applications` → the draft's fields (amounts in base units). */
export function createApplicationBody(ctx: BodyContext) {
  const assetDecimals = ctx.assetDecimals ?? defaultAssetDecimals;
  const shape = applicationShape(ctx);
  const schema = z
    .object(
      { ...shape, links: shape.links.optional() },
      { invalid_type_error: 'body must be a JSON object' },
    )
    .strict();
  return body(
    schema,
    (raw, report) => checkFunding(raw, report, assetDecimals),
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
  const assetDecimals = ctx.assetDecimals ?? defaultAssetDecimals;
  const schema = z
    .object(applicationShape(ctx), { invalid_type_error: 'body must be a JSON object' })
    .partial()
    .strict();
  return body(
    schema,
    (raw, report) => {
      const fields = record(raw);
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
      if (hasFunding && hasMilestones) checkFunding(raw, report, assetDecimals);
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
  (raw) => (raw === undefined || raw === null ? {} : raw),
  z
    .object(
      { reason: text(LIMITS.reason, { multiline: true }).optional() },
      {
        invalid_type_error: 'body must be a JSON object',
      },
    )
    .strict(),
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
            if (reviewers.indexOf(r) !== i) issue(ctx, 'duplicate', `${r} is listed twice`, [i]);
          });
        }),
    },
    { invalid_type_error: 'body must be a JSON object' },
  )
  .strict();

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
  .strict();

/**
 * `POST /v1/applications/{id}/reviews`. Scores, recommendation and comment are required unless
 * the reviewer declares a conflict of interest (then only an optional comment is kept).
 */
export const submitReviewBody = body(
  reviewSchema,
  (raw, report) => {
    const review = record(raw);
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
 * `POST /v1/applications/{id}/decision`. Approve carries grant terms (tranches summing to the
 * amount); reject and request_changes carry a reason and no grant. Whether the tranches match the
 * application's milestones and stay within the request is the decider's rule.
 */
export function decisionBody(ctx: Pick<BodyContext, 'assetDecimals'> = {}) {
  const assetDecimals = ctx.assetDecimals ?? defaultAssetDecimals;
  const schema = z
    .object(
      {
        decision: enumOf(['approve', 'reject', 'request_changes']),
        reason: text(LIMITS.reason, { multiline: true }).optional(),
        grant: z
          .object(
            {
              asset: assetCode(assetDecimals),
              amount: decimalAmount(),
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
                      amount: decimalAmount(),
                    })
                    .strict(),
                  { required_error: 'required', invalid_type_error: 'must be an array' },
                )
                .min(1, 'at least one tranche')
                .max(LIMITS.milestones, `at most ${LIMITS.milestones} tranches`),
            },
            { invalid_type_error: 'must be an object' },
          )
          .strict()
          .optional(),
      },
      { invalid_type_error: 'body must be a JSON object' },
    )
    .strict();
  return body(
    schema,
    (raw, report) => {
      const input = record(raw);
      if (!input) return;
      const grant = record(input.grant);
      if (input.decision === 'approve') {
        if (input.grant === undefined) report('required', 'approval needs grant terms', ['grant']);
      } else if (input.decision === 'reject' || input.decision === 'request_changes') {
        if (input.reason === undefined) report('required', 'a reason is required', ['reason']);
        if (input.grant !== undefined) {
          report('not_allowed', 'grant terms only come with an approval', ['grant']);
        }
      }
      if (!grant) return;
      const tranches = arrayAt(grant, 'tranches') ?? [];
      const seen = new Set<unknown>();
      tranches.forEach((t, i) => {
        const milestone = record(t)?.milestone;
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
      checkAmounts(
        report,
        assetDecimals,
        stringAt(grant, 'asset'),
        { value: grant.amount, path: ['grant', 'amount'] },
        tranches.map((t, i) => ({
          value: record(t)?.amount,
          path: ['grant', 'tranches', i, 'amount'],
        })),
        { path: ['grant', 'tranches'], message: 'tranche amounts must sum to grant.amount' },
      );
    },
    (parsed): DecisionInput => {
      switch (parsed.decision) {
        case 'approve': {
          const grant = parsed.grant!;
          const decimals = assetDecimals(grant.asset)!;
          return {
            decision: 'approve',
            ...(parsed.reason ? { reason: parsed.reason } : {}),
            grant: {
              asset: grant.asset,
              amount: decimalToBaseUnits(grant.amount, decimals),
              tranches: grant.tranches.map((t) => ({
                milestone: t.milestone,
                amount: decimalToBaseUnits(t.amount, decimals),
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

////////// validation entry point

/**
 * Parses `body` with `schema`; throws ValidationProblem (422) listing every field problem
 * (`field` is a dotted path such as `milestones.1.amount`; `(body)` for the body itself).
 */
export function validateBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.output<S> {
  let result: z.SafeParseReturnType<unknown, z.output<S>>;
  try {
    result = schema.safeParse(body) as z.SafeParseReturnType<unknown, z.output<S>>;
  } catch {
    // Zod itself should never throw on JSON input; if it does, the input is still the client's fault.
    throw new ValidationProblem([
      { field: '(body)', code: 'invalid', message: 'body could not be read' },
    ]);
  }
  if (result.success) return result.data;
  throw new ValidationProblem(toFieldProblems(result.error));
}

/** Maps zod issues to field problems with stable codes. */
export function toFieldProblems(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const at = (path: (string | number)[]) => (path.length > 0 ? path.join('.') : '(body)');
  for (const i of error.issues) {
    switch (i.code) {
      case z.ZodIssueCode.unrecognized_keys:
        for (const key of i.keys) {
          problems.push({
            field: at([...i.path, key]),
            code: 'unknown_field',
            message: 'unknown field',
          });
        }
        break;
      case z.ZodIssueCode.invalid_type:
        problems.push({
          field: at(i.path),
          code:
            i.received === 'undefined'
              ? 'required'
              : i.expected === 'integer'
                ? 'not_integer'
                : 'invalid_type',
          message: i.received === 'undefined' ? 'required' : i.message,
        });
        break;
      case z.ZodIssueCode.too_small:
        problems.push({
          field: at(i.path),
          code: i.type === 'array' || i.type === 'string' ? 'too_short' : 'too_small',
          message: i.message,
        });
        break;
      case z.ZodIssueCode.too_big:
        problems.push({
          field: at(i.path),
          code: i.type === 'array' || i.type === 'string' ? 'too_long' : 'too_big',
          message: i.message,
        });
        break;
      case z.ZodIssueCode.invalid_enum_value:
        problems.push({ field: at(i.path), code: 'invalid_enum', message: i.message });
        break;
      case z.ZodIssueCode.custom: {
        const code = (i.params as { code?: unknown } | undefined)?.code;
        problems.push({
          field: at(i.path),
          code: typeof code === 'string' ? code : 'invalid',
          message: i.message,
        });
        break;
      }
      case z.ZodIssueCode.invalid_string:
      case z.ZodIssueCode.invalid_date:
      case z.ZodIssueCode.invalid_literal:
      case z.ZodIssueCode.invalid_union:
      case z.ZodIssueCode.invalid_union_discriminator:
      case z.ZodIssueCode.invalid_intersection_types:
      case z.ZodIssueCode.invalid_arguments:
      case z.ZodIssueCode.invalid_return_type:
      case z.ZodIssueCode.not_multiple_of:
      case z.ZodIssueCode.not_finite:
        problems.push({ field: at(i.path), code: i.code, message: i.message });
        break;
      default: {
        const unhandled: never = i;
        problems.push({ field: '(body)', code: 'invalid', message: String(unhandled) });
      }
    }
  }
  return problems;
}
