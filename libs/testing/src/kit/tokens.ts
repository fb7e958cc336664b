import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FOUNDER_TOKEN_ISSUER,
  founderJwks,
  generateFounderKey,
  type Role,
  signAccessToken,
  signDevToken,
} from '@lib/auth';

/** The `authorization` header of a bearer token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Where test staff tokens are valid: the service's HS256 secret, issuer and audience. */
export interface StaffTokenIssuer {
  secret: string;
  issuer: string;
  audience: string;
}

/**
 * Mints staff tokens the way the development identity provider does (HS256): `staff(sub, roles)`,
 * plus the two a matrix needs — expired, and signed with someone else's secret.
 */
export function staffTokens(issuer: StaffTokenIssuer) {
  const options = { issuer: issuer.issuer, audience: issuer.audience };
  return {
    staff: (sub: string, roles: Role[], ttl: number | string = '1h') =>
      signDevToken({ sub, roles, ttl }, issuer.secret, options),
    expired: (sub: string, roles: Role[]) =>
      signDevToken({ sub, roles, ttl: 60 }, issuer.secret, {
        ...options,
        now: new Date(Date.now() - 3600_000),
      }),
    forged: (sub: string, roles: Role[]) =>
      signDevToken({ sub, roles, ttl: 600 }, 'an-attacker-secret-0123456789-0123456789', options),
  };
}

/**
 * One fresh identity per role (`<role>-<6 hex>`) holding just that role, minted by `mint` (e.g. a
 * harness's staffToken): `{ admin, treasurer }` for an authorization matrix's callers.
 */
export async function tokensPerRole<R extends Role>(
  mint: (sub: string, roles: Role[]) => Promise<string>,
  roles: readonly R[],
): Promise<Record<R, string>> {
  const tokens = {} as Record<R, string>;
  for (const role of roles) {
    tokens[role] = await mint(`${role}-${randomBytes(3).toString('hex')}`, [role]);
  }
  return tokens;
}

/** The part of a service's config that founder tokens are checked against. */
export interface FounderAudience {
  AUTH_AUDIENCE: string;
  AUTH_FOUNDER_ISSUER?: string;
}

/** A founder identity provider for a service under test (see {@link startFounderIssuer}). */
export interface FounderIssuer {
  /** Where the service fetches the founder keys: its AUTH_FOUNDER_JWKS_URL. */
  jwksUrl: string;
  /** A token of the founder issuer (EdDSA, as after NEAR sign-in) for the service of `config`. */
  token(
    config: FounderAudience,
    sub: string,
    roles?: Role[],
    ttl?: number | string,
  ): Promise<string>;
  close(): Promise<void>;
}

/**
 * Serves a fresh founder key's JWKS on a free local port and mints founder tokens with it, so a
 * service verifies founder tokens as in production (by URL) without the applications service.
 */
export async function startFounderIssuer(): Promise<FounderIssuer> {
  const key = generateFounderKey();
  const jwks = createServer((_req, res) => res.end(JSON.stringify(founderJwks(key))));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
    token: (config, sub, roles = ['founder'], ttl = '1h') =>
      signAccessToken(
        { sub, roles, ttl },
        { alg: 'EdDSA', privateKey: key.privateKey, kid: key.kid },
        {
          issuer: config.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER,
          audience: config.AUTH_AUDIENCE,
        },
      ),
    async close() {
      jwks.closeAllConnections();
      await new Promise((resolve) => jwks.close(resolve));
    },
  };
}
