import { z } from 'zod';
import { type FieldProblem, ProblemError, ValidationProblem } from '@lib/platform';
import { MILESTONE_STATUSES } from './milestone';
import type { ReviewInput } from './milestone.decider';

// HTTP requests of DESIGN.md §7 for milestones → command data. These schemas are the one
// description of each request: the controller validates with them and openapi.ts documents them.
// Strings are NFC-normalised and trimmed; every field problem is listed in one 422.

export const LIMITS = { summary: 5000, comment: 5000, url: 2000, evidenceUrls: 10 } as const;

// Tab, LF and CR are allowed in multi-line text; every other C0/C1 control character is not.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i; // as the contracts (zod uuid)

function issue(ctx: z.RefinementCtx, code: string, message: string, path?: (string | number)[]) {
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message,
    params: { code },
    ...(path ? { path } : {}),
  });
}

const str = () => z.string({ required_error: 'required', invalid_type_error: 'must be a string' });

/** NFC-normalised, trimmed text of 1..max code points (the contracts count the same way). */
const text = (max: number) =>
  str().transform((raw, ctx) => {
    if (LONE_SURROGATE.test(raw)) {
      issue(ctx, 'invalid_unicode', 'contains unpaired surrogates');
      return z.NEVER;
    }
    const value = raw.normalize('NFC').trim();
    if (CONTROL.test(value)) {
      issue(ctx, 'control_character', 'control characters are not allowed');
      return z.NEVER;
    }
    const length = [...value].length;
    if (length === 0) issue(ctx, 'required', 'must not be empty');
    else if (length > max) issue(ctx, 'too_long', `at most ${max} characters`);
    return value;
  });

const httpsUrl = () =>
  str()
    .max(LIMITS.url, `at most ${LIMITS.url} characters`)
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return issue(ctx, 'invalid_url', 'must be an absolute https URL');
      }
      if (url.protocol !== 'https:' || !url.hostname || value !== value.trim()) {
        issue(ctx, 'invalid_url', 'must be an absolute https URL');
      } else if (url.username || url.password) {
        issue(ctx, 'invalid_url', 'must not carry credentials');
      }
    });

const bodyObject = { invalid_type_error: 'body must be a JSON object', required_error: 'required' };

////////// POST /v1/grants/{id}/milestones/{n}/submissions

export const submitMilestoneBody = z
  .object(
    {
      summary: text(LIMITS.summary).describe('What was delivered (1–5000 characters).'),
      evidenceUrls: z
        .array(httpsUrl(), { required_error: 'required', invalid_type_error: 'must be an array' })
        .min(1, 'at least one evidence link')
        .max(LIMITS.evidenceUrls, `at most ${LIMITS.evidenceUrls} evidence links`)
        .describe('1–10 absolute https links: repository, demo, report.'),
    },
    bodyObject,
  )
  .strict()
  .describe('A milestone report; a rejected milestone is resubmitted the same way.');

////////// POST /v1/grants/{id}/milestones/{n}/review

export const reviewMilestoneBody = z
  .object(
    {
      decision: z
        .enum(['accept', 'reject'], {
          errorMap: (i, c) =>
            i.code === 'invalid_type' && c.data === undefined
              ? { message: 'required' }
              : { message: 'must be one of: accept, reject' },
        })
        .describe('`accept` (the tranche becomes payable) or `reject` (the founder may resubmit).'),
      comment: text(LIMITS.comment)
        .optional()
        .describe('Required to reject; optional with an acceptance.'),
    },
    bodyObject,
  )
  .strict();

/** Cross-field rule of the review body, checked on the raw input beside the schema. */
function reviewChecks(raw: unknown): FieldProblem[] {
  const review = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return review.decision === 'reject' && review.comment === undefined
    ? [{ field: 'comment', code: 'required', message: 'a comment is required to reject' }]
    : [];
}

/** `POST …/review` → the review (comment guaranteed on a rejection). */
export function parseReview(raw: unknown): ReviewInput {
  const parsed = validate(reviewMilestoneBody, raw, 422, reviewChecks);
  return parsed.decision === 'reject'
    ? { decision: 'reject', comment: parsed.comment! }
    : { decision: 'accept', ...(parsed.comment !== undefined ? { comment: parsed.comment } : {}) };
}

/** `POST …/submissions` → the submission. */
export const parseSubmission = (raw: unknown) => validate(submitMilestoneBody, raw);

////////// path, query and headers

export const grantPathParams = z.object({
  id: z.string().regex(UUID).describe('Grant id (the id of the application it was awarded from).'),
});

export const milestonePathParams = grantPathParams.extend({
  n: z
    .string()
    .regex(/^(?:[1-9]|1\d|20)$/)
    .describe('Milestone (= tranche) number, 1–20.'),
});

const statusList = z
  .string()
  .max(200)
  .transform((s) => s.split(',').map((v) => v.trim()))
  .pipe(z.array(z.enum(MILESTONE_STATUSES)).min(1));

export const listMilestonesQuery = z
  .object({
    status: statusList.optional().describe('Comma-separated statuses to keep, e.g. `submitted`.'),
  })
  .strict();

export const mutationHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/)
    .optional()
    .describe('Repeat the request with the same key to get the first answer again.'),
  'if-match': z
    .string()
    .regex(/^(?:W\/)?"?\d{1,9}"?$/)
    .optional()
    .describe('The milestone version (ETag) last seen; a stale one is a 409.'),
});

/** `{ id, n }` → grant id and tranche number; anything else is a 404 (there is no such milestone). */
export function parseMilestonePath(params: { id?: unknown; n?: unknown }): {
  grantId: string;
  number: number;
} {
  const parsed = milestonePathParams.safeParse(params);
  if (!parsed.success) throw new ProblemError(404, 'milestone_not_found', 'no such milestone');
  return { grantId: parsed.data.id, number: Number(parsed.data.n) };
}

export function parseGrantPath(params: { id?: unknown }): string {
  const parsed = grantPathParams.safeParse(params);
  if (!parsed.success) throw new ProblemError(404, 'grant_not_found', 'no such grant');
  return parsed.data.id;
}

/** `If-Match: "<version>"` (weak or bare number accepted); absent → no precondition. */
export function parseIfMatch(header: unknown): number | undefined {
  if (header === undefined) return undefined;
  const match = typeof header === 'string' ? /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim()) : null;
  if (!match) {
    throw new ProblemError(400, 'invalid_if_match', 'If-Match must be the version, e.g. "3"');
  }
  return Number(match[1]);
}

export function parseListQuery(query: unknown) {
  return validate(listMilestonesQuery, query, 400);
}

////////// validation

/**
 * Parses `raw` with `schema` plus `checks` on the raw input; throws a ValidationProblem listing
 * every field problem (`field` is a dotted path, `(body)` for the body itself).
 */
export function validate<S extends z.ZodTypeAny>(
  schema: S,
  raw: unknown,
  status = 422,
  checks: (raw: unknown) => FieldProblem[] = () => [],
): z.output<S> {
  let result: z.SafeParseReturnType<unknown, z.output<S>>;
  try {
    result = schema.safeParse(raw) as z.SafeParseReturnType<unknown, z.output<S>>;
  } catch {
    throw new ValidationProblem(
      [{ field: '(body)', code: 'invalid', message: 'could not be read' }],
      status,
    );
  }
  const problems = [...(result.success ? [] : toFieldProblems(result.error)), ...checks(raw)];
  if (problems.length > 0) throw new ValidationProblem(problems, status);
  return (result as z.SafeParseSuccess<z.output<S>>).data;
}

/** Maps zod issues to field problems with stable codes. */
export function toFieldProblems(error: z.ZodError): FieldProblem[] {
  const at = (path: (string | number)[]) => (path.length > 0 ? path.join('.') : '(body)');
  return error.issues.flatMap((i): FieldProblem[] => {
    switch (i.code) {
      case z.ZodIssueCode.unrecognized_keys:
        return i.keys.map((key) => ({
          field: at([...i.path, key]),
          code: 'unknown_field',
          message: 'unknown field',
        }));
      case z.ZodIssueCode.invalid_type:
        return [
          {
            field: at(i.path),
            code: i.received === 'undefined' ? 'required' : 'invalid_type',
            message: i.received === 'undefined' ? 'required' : i.message,
          },
        ];
      case z.ZodIssueCode.too_small:
        return [{ field: at(i.path), code: 'too_short', message: i.message }];
      case z.ZodIssueCode.too_big:
        return [{ field: at(i.path), code: 'too_long', message: i.message }];
      case z.ZodIssueCode.invalid_enum_value:
        return [{ field: at(i.path), code: 'invalid_enum', message: i.message }];
      case z.ZodIssueCode.custom: {
        const code = (i.params as { code?: unknown } | undefined)?.code;
        return [
          {
            field: at(i.path),
            code: typeof code === 'string' ? code : 'invalid',
            message: i.message,
          },
        ];
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
        return [{ field: at(i.path), code: i.code, message: i.message }];
      default: {
        const unhandled: never = i;
        return [{ field: '(body)', code: 'invalid', message: String(unhandled) }];
      }
    }
  });
}
