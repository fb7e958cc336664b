import { z } from 'zod';
import { nearConfigShape } from '@lib/near';
import { parseConfig, portVariable } from '@lib/platform';

export const configShape = {
  PORT: portVariable(3001),
  /** Non-conflicted reviews of the current round needed before an approval. */
  REVIEW_QUORUM: z.coerce.number().int().min(1).max(10).default(2),
  /** HS256 secret: verifies staff tokens in development and signs founder session tokens. */
  AUTH_JWT_SECRET: z.string().min(32, 'at least 32 characters'),
  /** RS256 keys of the foundation's identity provider (production); staff tokens then verify here. */
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_ISSUER: z.string().min(1).default('incubator-dev'),
  AUTH_AUDIENCE: z.string().min(1).default('incubator-api'),
  /** Lifetime of a founder session token issued after NEAR sign-in. */
  FOUNDER_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 3600),
  ...nearConfigShape,
  /** NEP-413 `recipient` founders sign for; wallets show it. */
  SIGNIN_RECIPIENT: z.string().min(1).max(100).default('incubator.near'),
  SIGNIN_CHALLENGE_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, env);

export type ApplicationsConfig = ReturnType<typeof loadConfig>;
