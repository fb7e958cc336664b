import { z } from 'zod';
import { authConfigShape } from '@lib/auth';
import { nearConfigShape } from '@lib/near';
import { parseConfig, portVariable } from '@lib/platform';

export const configShape = {
  PORT: portVariable(3002),
  ...authConfigShape,
  ...nearConfigShape,
  /** Hours between an admin's approval of a new payout account and the moment it is paid. */
  PAYOUT_ACCOUNT_COOLDOWN_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 90)
    .default(48),
  /** NEP-413 `recipient` of acceptance and payout-account proofs; wallets show it. */
  GRANT_ACCEPTANCE_RECIPIENT: z.string().min(1).max(100).default('incubator.near'),
  /** How long an acceptance or payout-account challenge may be signed and sent. */
  GRANT_CHALLENGE_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, env);

export type GrantsConfig = ReturnType<typeof loadConfig>;
