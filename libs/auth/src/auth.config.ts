import { z } from 'zod';
import type { JwtOptions } from './jwt';

/**
 * The authentication variables every service with protected routes parses (spread into its
 * config shape). Verification options are derived from them by {@link jwtOptionsFromConfig}.
 */
export const authConfigShape = {
  /** HS256 secret: verifies staff tokens in development and test. */
  AUTH_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** RS256 keys of the foundation's identity provider (production). */
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_ISSUER: z.string().min(1).default('incubator-dev'),
  AUTH_AUDIENCE: z.string().min(1).default('incubator-api'),
};

export interface AuthConfig {
  AUTH_JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
}

/** JWT verification options from a parsed config that spread {@link authConfigShape}. */
export function jwtOptionsFromConfig(config: AuthConfig): JwtOptions {
  return {
    hs256Secret: config.AUTH_JWT_SECRET,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  };
}
