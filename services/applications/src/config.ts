import { z } from 'zod';
import { authConfigShape } from '@lib/auth';
import { nearConfigShape } from '@lib/near';
import { ConfigError, parseConfig, portVariable } from '@lib/platform';

export const configShape = {
  PORT: portVariable(3001),
  /** Non-conflicted reviews of the current round needed before an approval. */
  REVIEW_QUORUM: z.coerce.number().int().min(1).max(10).default(2),
  /** Staff tokens (HS256 in development and test, the IdP JWKS) and founder tokens (ours). */
  ...authConfigShape,
  /**
   * Ed25519 private key (PKCS#8 PEM) that signs founder session tokens: inline (a secret) or a
   * file. Required in production; in development a missing file is created, and with neither a
   * key is generated per process.
   */
  FOUNDER_SIGNING_KEY: z.string().min(1).optional(),
  FOUNDER_SIGNING_KEY_FILE: z.string().min(1).optional(),
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
  /** Sign-in challenges one NEAR account may request per window. */
  SIGNIN_CHALLENGES_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  /** Sign-in challenges one client address may request per window. */
  SIGNIN_CHALLENGES_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  SIGNIN_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const config = parseConfig(configShape, env);
  if (
    config.NODE_ENV === 'production' &&
    !config.FOUNDER_SIGNING_KEY &&
    !config.FOUNDER_SIGNING_KEY_FILE
  ) {
    throw new ConfigError([
      {
        variable: 'FOUNDER_SIGNING_KEY_FILE',
        message: 'the founder token signing key is required (NODE_ENV=production)',
      },
    ]);
  }
  return config;
};

export type ApplicationsConfig = ReturnType<typeof loadConfig>;
