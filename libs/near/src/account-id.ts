import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

/** How NEAR classifies a syntactically valid account id. */
export type NearAccountIdKind = 'named' | 'implicit' | 'eth-implicit';

// nearcore AccountId rules: parts of [a-z0-9] joined by `-` or `_`, parts joined by `.`.
const NAMED = /^(?:[a-z\d]+[-_])*[a-z\d]+(?:\.(?:[a-z\d]+[-_])*[a-z\d]+)*$/;
const IMPLICIT = /^[0-9a-f]{64}$/;
const ETH_IMPLICIT = /^0x[0-9a-f]{40}$/;

/**
 * Classifies `id` by NEAR's rules, or returns null when it is not a valid account id:
 * 64 lowercase hex → `implicit`, `0x` + 40 lowercase hex → `eth-implicit`, otherwise a named id of
 * 2–64 chars, lowercase a-z 0-9 with `-` `_` `.` separators (not leading, trailing or doubled).
 */
export function nearAccountIdKind(id: string): NearAccountIdKind | null {
  if (typeof id !== 'string' || id.length < 2 || id.length > 64) return null;
  if (IMPLICIT.test(id)) return 'implicit';
  if (ETH_IMPLICIT.test(id)) return 'eth-implicit';
  return NAMED.test(id) ? 'named' : null;
}

/** True when `id` is a valid NEAR account id (named, implicit 64-hex, or 0x-implicit). */
export function isValidNearAccountId(id: string): boolean {
  return nearAccountIdKind(id) !== null;
}

/** What a valid id looks like, for error messages and the API document. */
export const NEAR_ACCOUNT_ID_RULE =
  'not a NEAR account id (named a-z0-9 with -_. separators, 2–64 chars; 64 hex; or 0x + 40 hex)';

/**
 * The one zod schema for a NEAR account id: DTOs, sign-in, config and integration contracts all
 * use it. One issue, code `invalid_account_id`, whatever rule the id breaks; the API document
 * gets the length bounds and the named-id pattern (implicit ids match it too).
 */
export const nearAccountIdSchema = z
  .string({ required_error: 'required', invalid_type_error: 'must be a string' })
  .superRefine((value, ctx) => {
    if (!isValidNearAccountId(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: NEAR_ACCOUNT_ID_RULE,
        params: { code: 'invalid_account_id' },
      });
    }
  })
  .openapi({
    minLength: 2,
    maxLength: 64,
    pattern: NAMED.source,
    description:
      'NEAR account id: named (`a-z0-9` with `-_` inside and `.` between parts, 2–64 chars), ' +
      'implicit (64 hex) or 0x-implicit (0x + 40 hex).',
    example: 'ada.near',
  });
