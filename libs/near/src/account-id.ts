import { z } from 'zod';

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

/** Zod schema for a NEAR account id, for DTOs and config. */
export const nearAccountIdSchema = z
  .string()
  .refine(isValidNearAccountId, { message: 'not a valid NEAR account id' });
