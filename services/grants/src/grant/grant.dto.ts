import { z } from 'zod';
import { nearAccountIdSchema } from '@lib/near';
import {
  addProblem,
  commaList,
  enumOf,
  listQueryFields,
  ProblemError,
  requiredString,
  text,
} from '@lib/platform';
import { GRANT_STATUSES, KYC_STATUSES } from './grant';

// HTTP bodies, queries and headers of the grants routes: the one source of validation and of the
// OpenAPI document (openapi.ts uses these very schemas). Every body is a strict object; the
// building blocks (text, enums, problems) are @lib/platform's validation toolkit.

export const LIMITS = { reason: 2000, message: 2000, recipient: 100 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const base64 = (bytes: number) =>
  requiredString()
    .max(200, 'too long')
    .superRefine((s, ctx) => {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || Buffer.from(s, 'base64').length !== bytes) {
        addProblem(ctx, 'invalid_base64', `must be base64 of ${bytes} bytes`);
      }
    });

const calendarDate = () =>
  requiredString().superRefine((value, ctx) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const date = match
      ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
      : undefined;
    // Date.UTC rolls 2027-02-30 over to March; a real date survives the round trip.
    if (!date || date.toISOString().slice(0, 10) !== value) {
      addProblem(ctx, 'invalid_date', 'must be a calendar date YYYY-MM-DD');
    }
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
  accountId: nearAccountIdSchema.describe('The proposed new payout account'),
});

/** What a wallet's `signMessage` returns (NEP-413) over a challenge this service issued. */
export const signedMessageBody = object({
  accountId: nearAccountIdSchema.describe('The account that signed'),
  publicKey: requiredString()
    .max(100)
    .regex(/^ed25519:[1-9A-HJ-NP-Za-km-z]{32,50}$/, 'not an ed25519:<base58> public key'),
  signature: base64(64).describe('base64 of the 64-byte ed25519 signature'),
  nonce: base64(32).describe('The nonce of the challenge (base64 of 32 bytes)'),
  message: requiredString().min(1, 'required').max(LIMITS.message),
  recipient: requiredString().min(1, 'required').max(LIMITS.recipient),
});
export type SignedMessage = z.output<typeof signedMessageBody>;

/**
 * `POST /v1/grants/{id}/payout-account/approve` — the account the admin approves, as they saw it:
 * an approval never applies to a different proposal that replaced the one reviewed.
 */
export const approvePayoutAccountBody = object({
  payoutAccount: nearAccountIdSchema.describe('The proposed payout account being approved'),
});

/** `POST /v1/grants/{id}/kyc`. */
export const kycBody = object({
  status: enumOf([...KYC_STATUSES]),
  expiresAt: calendarDate()
    .describe('Last day (UTC) the verification is valid; only with status verified')
    .optional(),
});

/** `POST /v1/grants/{id}/cancel`. */
export const cancelBody = object({
  reason: text(LIMITS.reason, { multiline: true }).describe('Why the grant ends'),
});

////////// query and headers

/** `GET /v1/grants` query. */
export const listGrantsQuery = z
  .object({
    status: commaList(GRANT_STATUSES, 200).optional().describe('Comma-separated statuses'),
    asset: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.]{0,15}$/, 'not an asset code')
      .optional(),
    ...listQueryFields({ describe: { cursor: 'nextCursor of the previous page' } }),
  })
  .strict();

export const grantIdParams = z.object({ id: z.string().uuid() });

////////// parsing

/** The grant id of the path; anything but a uuid is no grant at all. */
export function grantId(raw: string): string {
  if (!UUID.test(raw)) throw new ProblemError(404, 'grant_not_found', 'no such grant');
  return raw;
}
