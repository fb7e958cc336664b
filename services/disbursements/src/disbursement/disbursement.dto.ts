import { z } from 'zod';
import { disbursementIdSchema, grantIdSchema } from '@lib/contracts';
import { commaList, IF_MATCH_PATTERN, listQueryFields, ProblemError, text } from '@lib/platform';

// HTTP bodies and queries: the one source of validation, types and the OpenAPI document.
// Bodies are strict objects; text is NFC-normalised, trimmed, counted in code points
// (@lib/platform's validation toolkit).

/** Free text of 1..max code points (tab and newlines allowed). */
const reasonText = (max: number) => text(max, { multiline: true });

/** A strict body object. */
export const object = <T extends z.ZodRawShape>(shape: T) =>
  z.object(shape, { invalid_type_error: 'body must be a JSON object' }).strict();

/** An optional body: absent (or null) means `{}`. */
export const optionalBody = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((raw) => (raw === undefined || raw === null ? {} : raw), schema);

export const REASON_MAX = 2000;
export { reasonText };

/** `POST /v1/disbursements/{id}/approve` */
export const approveBody = optionalBody(
  object({ comment: reasonText(REASON_MAX).describe('why this payout is right').optional() }),
);
/** `POST /v1/disbursements/{id}/hold` */
export const holdBody = object({ reason: reasonText(REASON_MAX).describe('why it must wait') });
/** `POST /v1/disbursements/{id}/release` — lifts a hold. */
export const liftHoldBody = optionalBody(object({ comment: reasonText(REASON_MAX).optional() }));
/** `POST /v1/disbursements/{id}/cancel` */
export const cancelBody = object({
  reason: reasonText(REASON_MAX).describe('why it will not be paid'),
});
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
    status: commaList(DISBURSEMENT_STATUSES, 500).describe('comma-separated statuses').optional(),
    grantId: grantIdSchema.optional(),
    asset: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.]{0,15}$/, 'not an asset code')
      .optional(),
    ...listQueryFields({
      cursorMax: 400,
      describe: {
        format:
          'csv: every matching row (same filters, no page limit) as text/csv, streamed; so does Accept: text/csv',
      },
    }),
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
  'if-match': z.string().regex(IF_MATCH_PATTERN).optional(),
});
