import { z } from 'zod';
import { isValidNearAccountId } from '@lib/near';
import { type FieldProblem, ProblemError, ValidationProblem } from '@lib/platform';
import { GRANT_STATUSES, KYC_STATUSES } from './grant';

// HTTP bodies, queries and headers of the grants routes: the one source of validation and of the
// OpenAPI document (openapi.ts uses these very schemas). Every body is a strict object.

export const LIMITS = { reason: 2000, message: 2000, recipient: 100 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problem(ctx: z.RefinementCtx, code: string, message: string) {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: { code } });
}

const str = () => z.string({ required_error: 'required', invalid_type_error: 'must be a string' });

/** NFC-normalised, trimmed multi-line text of 1..max code points, no control characters. */
const text = (max: number) =>
  str().transform((raw, ctx) => {
    if (LONE_SURROGATE.test(raw)) {
      problem(ctx, 'invalid_unicode', 'contains unpaired surrogates');
      return z.NEVER;
    }
    const value = raw.normalize('NFC').trim();
    if (CONTROL.test(value))
      problem(ctx, 'control_character', 'control characters are not allowed');
    const length = [...value].length;
    if (length === 0) problem(ctx, 'required', 'must not be empty');
    else if (length > max) problem(ctx, 'too_long', `at most ${max} characters`);
    return value;
  });

const nearAccountId = () =>
  str()
    .max(64, 'at most 64 characters')
    .refine(isValidNearAccountId, {
      message: 'not a NEAR account id (named, 64 hex implicit, or 0x + 40 hex)',
      params: { code: 'invalid_account_id' },
    });

const base64 = (bytes: number) =>
  str()
    .max(200, 'too long')
    .refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === bytes, {
      message: `must be base64 of ${bytes} bytes`,
      params: { code: 'invalid_base64' },
    });

const calendarDate = () =>
  str().refine(
    (value) => {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!match) return false;
      const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
      // Date.UTC rolls 2027-02-30 over to March; a real date survives the round trip.
      return date.toISOString().slice(0, 10) === value;
    },
    { message: 'must be a calendar date YYYY-MM-DD', params: { code: 'invalid_date' } },
  );

const enumOf = <const T extends [string, ...string[]]>(values: T) =>
  z.enum(values, {
    errorMap: (i, c) =>
      i.code === 'invalid_type' && c.data === undefined
        ? { message: 'required' }
        : { message: `must be one of: ${values.join(', ')}` },
  });

/** An optional body: absent or null is `{}`. */
const optionalBody = <S extends z.ZodTypeAny>(schema: S) =>
  z.preprocess((raw) => (raw === undefined || raw === null ? {} : raw), schema);

const object = <S extends z.ZodRawShape>(shape: S) =>
  z.object(shape, { invalid_type_error: 'body must be a JSON object' }).strict();

////////// bodies

/** `POST /v1/grants/{id}/acceptance-challenge` — no fields (the founder's token says who asks). */
export const acceptanceChallengeBody = optionalBody(object({}));

/** `POST /v1/grants/{id}/payout-account-challenge` — the account that will sign the proof. */
export const payoutAccountChallengeBody = object({
  accountId: nearAccountId().describe('The proposed new payout account'),
});

/** What a wallet's `signMessage` returns (NEP-413) over a challenge this service issued. */
export const signedMessageBody = object({
  accountId: nearAccountId().describe('The account that signed'),
  publicKey: str()
    .max(100)
    .regex(/^ed25519:[1-9A-HJ-NP-Za-km-z]{32,50}$/, 'not an ed25519:<base58> public key'),
  signature: base64(64).describe('base64 of the 64-byte ed25519 signature'),
  nonce: base64(32).describe('The nonce of the challenge (base64 of 32 bytes)'),
  message: str().min(1, 'required').max(LIMITS.message),
  recipient: str().min(1, 'required').max(LIMITS.recipient),
});
export type SignedMessage = z.output<typeof signedMessageBody>;

/** `POST /v1/grants/{id}/payout-account/approve` — no fields. */
export const approvePayoutAccountBody = optionalBody(object({}));

/** `POST /v1/grants/{id}/kyc`. */
export const kycBody = object({
  status: enumOf([...KYC_STATUSES]),
  expiresAt: calendarDate()
    .describe('Last day (UTC) the verification is valid; only with status verified')
    .optional(),
});

/** `POST /v1/grants/{id}/cancel`. */
export const cancelBody = object({ reason: text(LIMITS.reason).describe('Why the grant ends') });

////////// query and headers

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values)).min(1));

/** `GET /v1/grants` query. */
export const listGrantsQuery = z
  .object({
    status: csv(GRANT_STATUSES).optional().describe('Comma-separated statuses'),
    asset: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.]{0,15}$/, 'not an asset code')
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(500).optional().describe('nextCursor of the previous page'),
  })
  .strict();

export const grantIdParams = z.object({ id: z.string().uuid() });

/** Headers a mutation may send. */
export const mutationHeaders = z.object({
  'if-match': z.string().max(20).optional().describe('The version last seen, e.g. "3"'),
  'idempotency-key': z.string().min(1).max(200).optional(),
});

////////// parsing

/** The grant id of the path; anything but a uuid is no grant at all. */
export function grantId(raw: string): string {
  if (!UUID.test(raw)) throw new ProblemError(404, 'grant_not_found', 'no such grant');
  return raw;
}

/** `If-Match: "<version>"` (a weak or bare number is accepted too); absent → no precondition. */
export function ifMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) {
    throw new ProblemError(400, 'invalid_if_match', 'If-Match must be the version, e.g. "3"');
  }
  return Number(match[1]);
}

/** Parses with `schema`; a ValidationProblem (422, or `status`) lists every field problem. */
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
      [{ field: '(body)', code: 'invalid', message: 'unreadable' }],
      status,
    );
  }
  if (result.success) return result.data;
  throw new ValidationProblem(fieldProblems(result.error), status);
}

function fieldProblems(error: z.ZodError): FieldProblem[] {
  const at = (path: (string | number)[]) => (path.length > 0 ? path.join('.') : '(body)');
  return error.issues.flatMap((i): FieldProblem[] => {
    if (i.code === z.ZodIssueCode.unrecognized_keys) {
      return i.keys.map((key) => ({
        field: at([...i.path, key]),
        code: 'unknown_field',
        message: 'unknown field',
      }));
    }
    if (i.code === z.ZodIssueCode.invalid_type && i.received === 'undefined') {
      return [{ field: at(i.path), code: 'required', message: 'required' }];
    }
    const custom = (i as { params?: { code?: unknown } }).params?.code;
    return [
      {
        field: at(i.path),
        code: typeof custom === 'string' ? custom : i.code,
        message: i.message,
      },
    ];
  });
}
