import { z } from 'zod';
import { FOUNDER_TOKEN_ISSUER, type JwtOptions } from './jwt';

/**
 * The authentication variables every service with protected routes parses (spread into its
 * config shape). Verification options are derived from them by {@link jwtOptionsFromConfig}.
 * In production (`NODE_ENV=production`) `parseConfig` refuses AUTH_JWT_SECRET, a missing
 * AUTH_JWKS_URL and any `http://` JWKS URL, naming the variable.
 */
export const authConfigShape = {
  /** HS256 secret: verifies staff tokens in development and test only. */
  AUTH_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** RS256 keys of the foundation's identity provider (staff tokens; the only source in production). */
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_ISSUER: z.string().min(1).default('incubator-dev'),
  AUTH_AUDIENCE: z.string().min(1).default('incubator-api'),
  /** Issuer of founder session tokens (the applications service's NEAR sign-in). */
  AUTH_FOUNDER_ISSUER: z.string().min(1).default(FOUNDER_TOKEN_ISSUER),
  /** Where the applications service publishes the founder token keys. */
  AUTH_FOUNDER_JWKS_URL: z.string().url().default('http://127.0.0.1:3001/.well-known/jwks.json'),
};

export interface AuthConfig {
  NODE_ENV?: string;
  AUTH_JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_FOUNDER_ISSUER?: string;
  AUTH_FOUNDER_JWKS_URL?: string;
}

/** JWT verification options from a parsed config that spread {@link authConfigShape}. */
export function jwtOptionsFromConfig(config: AuthConfig): JwtOptions {
  return {
    hs256Secret: config.AUTH_JWT_SECRET,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    production: config.NODE_ENV === 'production',
    founder: {
      issuer: config.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER,
      jwksUrl: config.AUTH_FOUNDER_JWKS_URL,
    },
  };
}
