import { z } from 'zod';
import { disbursementIdSchema, grantIdSchema } from '@lib/contracts';
import { type FieldProblem, ProblemError, ValidationProblem } from '@lib/platform';

// HTTP bodies and queries: the one source of validation, types and the OpenAPI document.
// Bodies are strict objects; text is NFC-normalised, trimmed, counted in code points.

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Free text of 1..max code points (tab and newlines allowed). */
export const text = (max: number) =>
  z
    .string({ required_error: 'required', invalid_type_error: 'must be a string' })
    .transform((raw, ctx) => {
      const fail = (code: string, message: string) => {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: { code } });
        return z.NEVER;
      };
      if (LONE_SURROGATE.test(raw)) return fail('invalid_unicode', 'contains unpaired surrogates');
      const value = raw.normalize('NFC').trim();
      if (CONTROL.test(value))
        return fail('control_character', 'control characters are not allowed');
      const length = [...value].length;
      if (length === 0) return fail('required', 'must not be empty');
      if (length > max) return fail('too_long', `at most ${max} characters`);
      return value;
    });

const object = <T extends z.ZodRawShape>(shape: T) =>
  z.object(shape, { invalid_type_error: 'body must be a JSON object' }).strict();

/** An optional body: absent (or null) means `{}`. */
const optionalBody = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((raw) => (raw === undefined || raw === null ? {} : raw), schema);

export const REASON_MAX = 2000;

/** `POST /v1/disbursements/{id}/approve` */
export const approveBody = optionalBody(
  object({ comment: text(REASON_MAX).describe('why this payout is right').optional() }),
);
/** `POST /v1/disbursements/{id}/hold` */
export const holdBody = object({ reason: text(REASON_MAX).describe('why it must wait') });
/** `POST /v1/disbursements/{id}/release` — lifts a hold. */
export const liftHoldBody = optionalBody(object({ comment: text(REASON_MAX).optional() }));
/** `POST /v1/disbursements/{id}/cancel` */
export const cancelBody = object({ reason: text(REASON_MAX).describe('why it will not be paid') });
/** `POST /v1/disbursements/{id}/retry` — no fields. */
export const retryBody = optionalBody(object({}));

export const DISBURSEMENT_STATUSES = [
  'awaiting_approval',
  'approved',
  'held',
  'released',
  'settled',
  'failed',
  'cancelled',
] as const;

/** `GET /v1/disbursements` */
export const listQuery = z
  .object({
    status: z
      .string()
      .max(500)
      .transform((s) => s.split(',').map((v) => v.trim()))
      .pipe(z.array(z.enum(DISBURSEMENT_STATUSES)).min(1))
      .describe('comma-separated statuses')
      .optional(),
    grantId: grantIdSchema.optional(),
    asset: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.]{0,15}$/, 'not an asset code')
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(400).optional(),
  })
  .strict();

/** Path parameter: `<grantId>-<tranche>`; anything else is simply not found. */
export const disbursementIdParam = z.object({ id: disbursementIdSchema });

export function parseDisbursementId(raw: string): string {
  if (!disbursementIdSchema.safeParse(raw).success) {
    throw new ProblemError(404, 'disbursement_not_found', 'no such disbursement');
  }
  return raw;
}

/** `If-Match: "<version>"`; absent → no precondition. */
export const ifMatchHeader = z.object({
  'if-match': z
    .string()
    .regex(/^(?:W\/)?"?\d{1,9}"?$/)
    .optional(),
});

export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) {
    throw new ValidationProblem(
      [{ field: 'If-Match', code: 'invalid_if_match', message: 'must be the version, e.g. "3"' }],
      400,
    );
  }
  return Number(match[1]);
}

/** Parses `input` with `schema` or throws a ValidationProblem listing every field problem. */
export function validate<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
  status = 422,
): z.output<S> {
  let result: z.SafeParseReturnType<unknown, z.output<S>>;
  try {
    result = schema.safeParse(input) as z.SafeParseReturnType<unknown, z.output<S>>;
  } catch {
    throw new ValidationProblem(
      [{ field: '(body)', code: 'invalid', message: 'could not be read' }],
      status,
    );
  }
  if (result.success) return result.data;
  throw new ValidationProblem(toFieldProblems(result.error), status);
}

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
      case z.ZodIssueCode.too_small:
      case z.ZodIssueCode.too_big:
      case z.ZodIssueCode.invalid_enum_value:
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
