import { z } from 'zod';

// Value schemas shared by the applications contracts. Amounts are whole base units as strings.

/** A positive amount in whole base units (u128), as a decimal string without sign or leading zeros. */
export const baseUnitsSchema = z
  .string()
  .regex(/^[1-9]\d{0,38}$/, 'whole base units: a positive integer string')
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) < 1n << 128n, 'exceeds u128');

/** NEAR account id: the one schema, from @lib/near (named, implicit 64 hex, 0x + 40 hex). */
export { nearAccountIdSchema } from '@lib/near';

/** The founder's identity: the JWT `sub` (a NEAR account id when signed in with NEP-413). */
export const founderSchema = z.string().min(1).max(200);

/** Asset code as configured per network, e.g. `NEAR`, `USDC`. */
export const assetCodeSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9.]{0,15}$/);

/** Calendar date `YYYY-MM-DD`. */
export const calendarDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** ISO-8601 timestamp with offset. */
export const timestampSchema = z.string().datetime({ offset: true });

export const applicationIdSchema = z.string().uuid();

export const applicationCategorySchema = z.enum([
  'agents',
  'infrastructure',
  'data',
  'model-training',
  'consumer-app',
  'research',
  'other',
]);

/**
 * Free text of 1..`max` characters, counted in Unicode code points as the API counts them (a
 * `z.string().max()` counts UTF-16 units: an accepted title of 200 emoji would then fail its own
 * contract and could never be published).
 */
export const textSchema = (max: number) =>
  z
    .string()
    .min(1)
    .refine((s) => [...s].length <= max, `at most ${max} characters`);
