import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { type FieldProblem, ValidationProblem } from '@lib/contracts';
import { IF_MATCH_PATTERN } from './openapi';

// The request-validation toolkit every service's DTOs are written with. The same zod schemas
// validate requests and describe them in the OpenAPI document, so each limit a check enforces by
// hand (code-point lengths, patterns) is also declared with `.openapi({...})`.

extendZodWithOpenApi(z);

/** A field's path inside a body (`['milestones', 1, 'amount']`). */
export type FieldPath = (string | number)[];

/** Reports a problem at `path` with a stable `code` (used by cross-field checks). */
export type ReportProblem = (code: string, message: string, path: FieldPath) => void;

/** Adds a custom issue with a stable `code` (read back by toFieldProblems). */
export function addProblem(
  ctx: z.RefinementCtx,
  code: string,
  message: string,
  path?: FieldPath,
): void {
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message,
    params: { code },
    ...(path ? { path } : {}),
  });
}

/** A string with the API's messages for a missing or non-string value. */
export const requiredString = () =>
  z.string({ required_error: 'required', invalid_type_error: 'must be a string' });

// Tab, LF and CR are allowed in multi-line text; every other C0/C1 control character is not.
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * NFC-normalised, trimmed text of 1..`max` characters, counted in code points (a 200-emoji title
 * is 200 characters); control characters are rejected (tab and line breaks only when `multiline`).
 */
export function text(max: number, options: { multiline?: boolean } = {}) {
  const control = options.multiline ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE;
  return requiredString()
    .transform((raw, ctx) => {
      if (LONE_SURROGATE.test(raw)) {
        addProblem(ctx, 'invalid_unicode', 'contains unpaired surrogates');
        return z.NEVER;
      }
      const value = raw.normalize('NFC').trim();
      if (control.test(value)) {
        addProblem(ctx, 'control_character', 'control characters are not allowed');
        return z.NEVER;
      }
      const length = [...value].length;
      if (length === 0) addProblem(ctx, 'required', 'must not be empty');
      else if (length > max) addProblem(ctx, 'too_long', `at most ${max} characters`);
      return value;
    })
    .openapi({ type: 'string', minLength: 1, maxLength: max });
}

/** An absolute https URL without credentials, at most `max` characters. */
export function httpsUrl(max: number) {
  return text(max)
    .superRefine((value, ctx) => {
      if (!value) return; // already reported as empty
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return addProblem(ctx, 'invalid_url', 'must be an absolute https URL');
      }
      if (url.protocol !== 'https:' || !url.hostname) {
        addProblem(ctx, 'invalid_url', 'must be an absolute https URL');
      } else if (url.username || url.password) {
        addProblem(ctx, 'invalid_url', 'must not carry credentials');
      }
    })
    .openapi({ type: 'string', format: 'uri', minLength: 1, maxLength: max, pattern: '^https://' });
}

/** One of `values`; a missing value is `required`, another one `invalid_enum`. */
export const enumOf = <const T extends [string, ...string[]]>(values: T) =>
  z.enum(values, {
    errorMap: (i, c) =>
      i.code === 'invalid_type' && c.data === undefined
        ? { message: 'required' }
        : { message: `must be one of: ${values.join(', ')}` },
  });

/** Where a request's "today" comes from (due dates); a getter, so a schema built once stays current. */
export interface Clock {
  readonly now: Date;
}

const isoDay = (now: Date) => now.toISOString().slice(0, 10);

/** A real calendar date `YYYY-MM-DD` after the clock's today (UTC). */
export const futureDate = (clock: Clock) =>
  requiredString()
    .superRefine((value, refine) => {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      const [year, month, day] = (match ?? []).slice(1).map(Number);
      const date = match ? new Date(Date.UTC(year, month - 1, day)) : undefined;
      // Date.UTC rolls 2027-02-30 over to March; a real date survives the round trip.
      if (!date || date.toISOString().slice(0, 10) !== value) {
        return addProblem(refine, 'invalid_date', 'must be a calendar date YYYY-MM-DD');
      }
      const today = isoDay(clock.now);
      if (value <= today) addProblem(refine, 'date_not_in_future', `must be after ${today}`);
    })
    .openapi({ type: 'string', format: 'date', description: 'A date after today (UTC).' });

/** A plain decimal string: digits, an optional fraction, no sign, exponent or leading zeros. */
export const DECIMAL_PATTERN = /^(0|[1-9]\d*)(\.\d+)?$/;

/** Decimal string shape only; the asset's decimals and positivity are checked by the body. */
export const decimalString = () =>
  requiredString()
    .superRefine((value, ctx) => {
      if (!DECIMAL_PATTERN.test(value))
        addProblem(ctx, 'invalid_amount', 'must be a decimal string like "2500.50"');
    })
    .openapi({ type: 'string', pattern: DECIMAL_PATTERN.source, example: '2500.5' });

interface CheckedBodyDef<S extends z.ZodTypeAny, O> extends z.ZodEffectsDef<S> {
  checks: (raw: unknown, report: ReportProblem) => void;
  build: (value: z.output<S>) => O;
}

/**
 * Runs the schema and, whatever its outcome, the cross-field checks on the raw input, so one
 * answer lists every problem (zod alone skips object refinements once a field has failed). A zod
 * effect over `schema`, so the OpenAPI generator documents `schema` itself.
 */
class CheckedBody<S extends z.ZodTypeAny, O> extends z.ZodEffects<S, O, unknown> {
  declare _def: CheckedBodyDef<S, O>;

  override _parse(input: z.ParseInput): z.ParseReturnType<O> {
    const { ctx } = this._processInputParams(input);
    const data: unknown = ctx.data;
    const result = this._def.schema._parseSync({ data, path: ctx.path, parent: ctx });
    let reported = 0;
    this._def.checks(data, (code, message, path) => {
      reported += 1;
      z.addIssueToContext(ctx, { code: z.ZodIssueCode.custom, message, params: { code }, path });
    });
    if (result.status !== 'valid' || reported > 0) return z.INVALID;
    return z.OK(this._def.build(result.value as z.output<S>));
  }
}

/**
 * A body: `schema` (shape, limits), `checks` across fields on the raw input (must be defensive:
 * the input is unvalidated — null and undefined included, which the OpenAPI generator probes with)
 * and `build`, which maps a clean result to command data.
 */
export function checkedBody<S extends z.ZodTypeAny, O>(
  schema: S,
  checks: (raw: unknown, report: ReportProblem) => void,
  build: (value: z.output<S>) => O,
): z.ZodEffects<S, O, unknown> {
  const def: CheckedBodyDef<S, O> = {
    schema,
    typeName: z.ZodFirstPartyTypeKind.ZodEffects,
    effect: { type: 'refinement', refinement: () => undefined },
    checks,
    build,
  };
  return new CheckedBody<S, O>(def);
}

/** Defensive readers for cross-field checks over raw input. */
export const raw = {
  record: (value: unknown): Record<string, unknown> | undefined =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined,
  string: (value: unknown, key: string): string | undefined => {
    const v = raw.record(value)?.[key];
    return typeof v === 'string' ? v : undefined;
  },
  array: (value: unknown, key: string): unknown[] | undefined => {
    const v = raw.record(value)?.[key];
    return Array.isArray(v) ? v : undefined;
  },
};

/**
 * Parses `body` with `schema`; throws ValidationProblem (422 unless `status` says 400) listing
 * every field problem (`field` is a dotted path such as `milestones.1.amount`; `(body)` for the
 * body itself).
 */
export function validateBody<S extends z.ZodTypeAny>(
  schema: S,
  body: unknown,
  status = 422,
): z.output<S> {
  let result: z.SafeParseReturnType<unknown, z.output<S>>;
  try {
    result = schema.safeParse(body) as z.SafeParseReturnType<unknown, z.output<S>>;
  } catch {
    // Zod itself should never throw on JSON input; if it does, the input is still the client's fault.
    throw new ValidationProblem(
      [{ field: '(body)', code: 'invalid', message: 'body could not be read' }],
      status,
    );
  }
  if (result.success) return result.data;
  throw new ValidationProblem(toFieldProblems(result.error), status);
}

/**
 * The version an `If-Match: "<version>"` header names (a weak `W/"3"` or a bare `3` is accepted
 * too); absent means no precondition. Anything else is a 400 naming the header.
 */
export function ifMatchVersion(header: unknown): number | undefined {
  if (header === undefined) return undefined;
  const match = typeof header === 'string' ? IF_MATCH_PATTERN.exec(header.trim()) : null;
  if (!match) {
    throw new ValidationProblem(
      [{ field: 'If-Match', code: 'invalid_if_match', message: 'must be the version, e.g. "3"' }],
      400,
    );
  }
  return Number(match[1]);
}

/** A query parameter listing one or more of `values`, comma-separated, at most `max` characters. */
export const commaList = <T extends string>(values: readonly [T, ...T[]], max: number) =>
  z
    .string()
    .max(max)
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values)).min(1));

/**
 * The paging and export fields of a list query: `limit` (1–100, default 20), `cursor` (the
 * previous page's `nextCursor`, at most `cursorMax` characters) and `format` (`csv`: every
 * matching row, see wantsCsv). `describe` words the document's cursor and format fields.
 */
export const listQueryFields = (
  options: { cursorMax?: number; describe?: { cursor?: string; format?: string } } = {},
) => {
  const cursor = z
    .string()
    .min(1)
    .max(options.cursorMax ?? 500)
    .optional();
  return {
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: options.describe?.cursor ? cursor.describe(options.describe.cursor) : cursor,
    format: z
      .enum(['json', 'csv'])
      .optional()
      .describe(
        options.describe?.format ??
          'csv: every matching row (no page limit) as text/csv, streamed; so does Accept: text/csv',
      ),
  };
};

/** Maps zod issues to field problems with stable codes. */
export function toFieldProblems(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const at = (path: FieldPath) => (path.length > 0 ? path.join('.') : '(body)');
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
