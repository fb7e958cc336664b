import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const accountId = z
  .string()
  .regex(/^(?:[a-z\d]+[-_])*[a-z\d]+(?:\.(?:[a-z\d]+[-_])*[a-z\d]+)*$/, 'not a NEAR account id');
const decimal = z.string().regex(/^\d+(?:\.\d+)?$/, 'must be a decimal number');

/** Environment of `npm run near:emulator`, parsed once. */
export const emulatorEnvSchema = z.object({
  NEAR_EMULATOR_HOST: z.string().default('127.0.0.1'),
  NEAR_EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(3030),
  /** Block time; 0 = blocks only when a request waits for them or via sandbox_fast_forward. */
  NEAR_EMULATOR_BLOCK_MS: z.coerce.number().int().min(0).default(1000),
  /** How long send_tx / tx wait for a level before 408 (nearcore: 10 s). */
  NEAR_EMULATOR_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  NEAR_EMULATOR_CHAIN_ID: z.string().default('localnet'),
  NEAR_EMULATOR_VALIDITY_PERIOD: z.coerce.number().int().min(1).default(86_400),
  NEAR_TREASURY_ACCOUNT_ID: accountId.default('treasury.test.near'),
  /** If given, the treasury gets this key; the emulator never prints it. */
  NEAR_TREASURY_SECRET_KEY: z.string().min(1).optional(),
  /** Otherwise the key is read from (or generated into) this file, a near-cli credentials JSON. */
  NEAR_TREASURY_SECRET_KEY_FILE: z.string().min(1).optional(),
  NEAR_TREASURY_BALANCE_NEAR: decimal.default('1000000'),
  NEAR_LOCAL_USDC_CONTRACT_ID: accountId.default('usdc.test.near'),
  NEAR_TREASURY_USDC: decimal.default('1000000'),
  /** Extra NEP-141 tokens to emulate: JSON `[{symbol, decimals, contractId}]` (same as @lib/near's NEAR_EXTRA_TOKENS). */
  NEAR_EXTRA_TOKENS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!raw) return [];
      try {
        return z
          .array(
            z.object({
              symbol: z.string(),
              decimals: z.number().int().min(0).max(38),
              contractId: accountId,
            }),
          )
          .parse(JSON.parse(raw));
      } catch (err) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `invalid NEAR_EXTRA_TOKENS: ${(err as Error).message}`,
        });
        return z.NEVER;
      }
    }),
});

export type EmulatorEnv = z.infer<typeof emulatorEnvSchema>;

export function parseEmulatorEnv(env: NodeJS.ProcessEnv = process.env): EmulatorEnv {
  const parsed = emulatorEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid NEAR emulator configuration: ${problems}`);
  }
  return parsed.data;
}

export function defaultTreasuryKeyFile(accountId: string): string {
  return join(tmpdir(), 'near-emulator', `${accountId}.json`);
}
