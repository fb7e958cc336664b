import type { CryptoKey, JWK, JWTPayload, JWTVerifyGetKey, KeyObject } from 'jose';
import { AuthError } from './auth-error';
import { jose } from './jose';
import { type AuthUser, isRole, type Role } from './roles';

/** How tokens are verified: HS256 with a shared secret (dev/test) and/or RS256 via a JWKS URL. */
export interface JwtOptions {
  /** HS256 secret, at least 32 bytes (AUTH_JWT_SECRET). Refused when `production` is set. */
  hs256Secret?: string;
  /** JWKS URL of the identity provider; RS256 only. */
  jwksUrl?: string;
  /** Issuer(s) of staff tokens. */
  issuer: string | string[];
  audience: string | string[];
  /**
   * Founder session tokens: signed by the applications service after NEP-413 sign-in (EdDSA) with
   * its own key and issuer. A token of this issuer must carry exactly the `founder` role.
   */
  founder?: FounderVerification;
  /**
   * Production: HS256 is never accepted (staff tokens only from the JWKS), and a staff token's
   * `founder` role is dropped (founders exist only through NEAR sign-in).
   */
  production?: boolean;
  /**
   * Whether a staff-issuer token may carry `founder` (default: only outside production). A
   * service that compares founders by (issuer, sub) sets false so every founder is a signed-in one.
   */
  staffMayClaimFounder?: boolean;
  /** Clock skew allowed on `exp`/`nbf`/`iat`, seconds (default 5). */
  clockToleranceSeconds?: number;
  /** The clock, for tests (default: the system clock). */
  now?: () => Date;
}

/** Where founder tokens' keys come from: the issuing service's JWKS URL, or the keys themselves. */
export interface FounderVerification {
  issuer: string;
  /** `GET /.well-known/jwks.json` of the applications service (fetched lazily and cached). */
  jwksUrl?: string;
  /** The public keys directly (the issuing service itself). */
  jwks?: { keys: JWK[] };
}

export interface JwtVerifier {
  /** Verifies `token` and returns its caller; throws AuthError (401, or 503 if the JWKS is down). */
  verify(token: string): Promise<AuthUser>;
}

/** Issuer and audience of tokens minted by `signDevToken` and the mint-token CLI by default. */
export const DEV_TOKEN_ISSUER = 'incubator-dev';
export const DEV_TOKEN_AUDIENCE = 'incubator-api';
/** Default issuer of founder session tokens (the applications service's NEP-413 sign-in). */
export const FOUNDER_TOKEN_ISSUER = 'incubator-founder-signin';

const MIN_SECRET_BYTES = 32;
const encoder = new TextEncoder();

function secretKey(secret: string): Uint8Array {
  const key = encoder.encode(secret);
  if (key.length < MIN_SECRET_BYTES) {
    throw new Error(`the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)`);
  }
  return key;
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/**
 * Builds a verifier. Each algorithm is accepted only with its own key source: HS256 with the
 * shared secret, RS256 with the JWKS (so an RS256 public key can never be used as an HMAC secret),
 * EdDSA only for founder tokens with the founder keys. `sub` and `exp` are required; unknown
 * roles are dropped; a founder-issuer token claiming anything but `founder` is refused.
 */
export function createJwtVerifier(options: JwtOptions): JwtVerifier {
  if (options.production && options.hs256Secret) {
    throw new Error(
      'HS256 (AUTH_JWT_SECRET) is refused in production: use the identity provider JWKS',
    );
  }
  const hmac = options.hs256Secret ? secretKey(options.hs256Secret) : undefined;
  const jwks = options.jwksUrl ? jose.createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
  const founder = options.founder;
  const founderKeys = founder?.jwks
    ? jose.createLocalJWKSet(founder.jwks)
    : founder?.jwksUrl
      ? jose.createRemoteJWKSet(new URL(founder.jwksUrl))
      : undefined;
  if (!hmac && !jwks && !founderKeys) {
    throw new Error('JWT verification needs hs256Secret and/or jwksUrl');
  }
  if (founder && asList(options.issuer).includes(founder.issuer)) {
    throw new Error('founder tokens need an issuer of their own, not a staff issuer');
  }
  const staffMayClaimFounder = options.staffMayClaimFounder ?? !options.production;
  const staffAlgorithms = [...(hmac ? ['HS256'] : []), ...(jwks ? ['RS256'] : [])];

  const staffKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && hmac) return hmac;
    if (header.alg === 'RS256' && jwks) return jwks(header, token);
    throw new jose.errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
  };

  // Tokens already verified are remembered briefly: the same session token arrives on every
  // request, and re-verifying the signature each time is the dearest step of authentication.
  const verified = new Map<string, { user: AuthUser; validUntil: number }>();
  const clock = () => (options.now ? options.now() : new Date()).getTime();
  const common = () => ({
    audience: options.audience,
    requiredClaims: ['sub', 'exp'],
    clockTolerance: options.clockToleranceSeconds ?? 5,
    ...(options.now ? { currentDate: options.now() } : {}),
  });

  /** Which key source the token claims; the signature check that follows decides. */
  const claimedIssuer = (token: string): string | undefined => {
    try {
      const { iss } = jose.decodeJwt(token);
      return typeof iss === 'string' ? iss : undefined;
    } catch {
      return undefined;
    }
  };

  async function verifyFresh(token: string): Promise<{ user: AuthUser; exp: number }> {
    let payload: JWTPayload;
    const isFounder = founder !== undefined && claimedIssuer(token) === founder.issuer;
    try {
      if (isFounder) {
        if (!founderKeys) throw new jose.errors.JOSEAlgNotAllowed('no founder keys configured');
        ({ payload } = await jose.jwtVerify(token, founderKeys, {
          ...common(),
          issuer: founder.issuer,
          algorithms: ['EdDSA'],
        }));
      } else {
        if (staffAlgorithms.length === 0) {
          throw new jose.errors.JOSEAlgNotAllowed('no staff keys configured');
        }
        ({ payload } = await jose.jwtVerify(token, staffKey, {
          ...common(),
          issuer: options.issuer,
          algorithms: staffAlgorithms,
        }));
      }
    } catch (error) {
      throw toAuthError(error);
    }
    const user = toUser(payload);
    if (isFounder) {
      if (user.roles.length !== 1 || user.roles[0] !== 'founder' || !rolesExactly(payload)) {
        throw new AuthError('token_invalid', 'a founder token may carry only the founder role');
      }
    } else if (!staffMayClaimFounder && user.roles.includes('founder')) {
      // Founders are who signed in with NEAR; a staff token does not make anyone one.
      user.roles = user.roles.filter((role) => role !== 'founder');
    }
    return { user, exp: payload.exp ?? 0 };
  }

  return {
    async verify(token: string): Promise<AuthUser> {
      const cached = verified.get(token);
      if (cached && cached.validUntil > clock()) return { ...cached.user };
      if (cached) verified.delete(token);
      const { user, exp } = await verifyFresh(token);
      if (verified.size >= VERIFIED_CACHE_MAX) verified.clear(); // bounded; refills from use
      verified.set(token, {
        user,
        validUntil: Math.min(exp * 1000, clock() + VERIFIED_CACHE_TTL_MS),
      });
      return { ...user };
    },
  };
}

/** A founder token's raw `roles` must be exactly `["founder"]` (unknown extras are not dropped). */
function rolesExactly(payload: JWTPayload): boolean {
  const { roles } = payload;
  return Array.isArray(roles) && roles.length === 1 && roles[0] === 'founder';
}

const VERIFIED_CACHE_MAX = 10_000;
const VERIFIED_CACHE_TTL_MS = 60_000;

function toAuthError(error: unknown): AuthError {
  const { errors } = jose;
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired)
    return new AuthError('token_expired', 'token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthError(
      'token_invalid',
      `token claim "${error.claim}" is invalid: ${error.reason}`,
    );
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new AuthError('auth_unavailable', 'the identity provider keys could not be loaded');
  }
  if (error instanceof errors.JOSEError) {
    return new AuthError('token_invalid', `token is invalid (${error.code})`);
  }
  // Not a JOSE error: fetching the JWKS failed (network). Not the caller's fault.
  return new AuthError('auth_unavailable', 'the identity provider keys could not be loaded');
}

function toUser(payload: JWTPayload): AuthUser {
  const { sub, roles, name } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
    throw new AuthError('token_invalid', 'token "sub" must be a non-empty string');
  }
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) {
    throw new AuthError('token_invalid', 'token "roles" must be an array of strings');
  }
  if (name !== undefined && typeof name !== 'string') {
    throw new AuthError('token_invalid', 'token "name" must be a string');
  }
  // Roles this system does not know (e.g. other IdP groups) grant nothing here.
  const known = [...new Set((roles ?? []).filter(isRole))];
  const issuer = typeof payload.iss === 'string' ? payload.iss : undefined;
  return { sub, roles: known, ...(name ? { name } : {}), ...(issuer ? { issuer } : {}) };
}

/** Claims of a token to mint. `ttl` is seconds or a span such as `'8h'`, `'15m'`. */
export interface TokenClaims {
  sub: string;
  roles: readonly Role[];
  name?: string;
  ttl: number | string;
}

export interface SignOptions {
  issuer?: string;
  audience?: string;
  now?: Date;
}

/** A signing key: the HS256 shared secret, or an RS256 private key (with the `kid` the JWKS lists). */
export type SigningKey =
  | { alg: 'HS256'; secret: string }
  | { alg: 'RS256' | 'EdDSA'; privateKey: KeyObject | CryptoKey; kid: string };

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds of a ttl given as seconds or as a span like `90s`, `15m`, `8h`, `7d`, `1w`. */
export function ttlSeconds(ttl: number | string): number {
  if (typeof ttl === 'number') {
    if (!Number.isInteger(ttl) || ttl <= 0)
      throw new Error('ttl must be a positive number of seconds');
    return ttl;
  }
  const match = /^(\d{1,6})([smhdw])$/.exec(ttl.trim());
  if (!match || Number(match[1]) === 0)
    throw new Error(`ttl ${ttl} is not a span like 90s, 15m, 8h, 7d`);
  return Number(match[1]) * TTL_UNITS[match[2]];
}

/**
 * Signs an access token (e.g. for a founder after NEP-413 sign-in). Defaults: issuer
 * DEV_TOKEN_ISSUER, audience DEV_TOKEN_AUDIENCE, now = system clock.
 */
export async function signAccessToken(
  claims: TokenClaims,
  key: SigningKey,
  options: SignOptions = {},
): Promise<string> {
  const unknownRoles = claims.roles.filter((r) => !isRole(r));
  if (unknownRoles.length > 0) throw new Error(`unknown roles: ${unknownRoles.join(', ')}`);
  if (!claims.sub) throw new Error('sub is required');
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jwt = new jose.SignJWT({
    roles: [...claims.roles],
    ...(claims.name ? { name: claims.name } : {}),
  })
    .setSubject(claims.sub)
    .setIssuer(options.issuer ?? DEV_TOKEN_ISSUER)
    .setAudience(options.audience ?? DEV_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds(claims.ttl));
  if (key.alg === 'HS256') {
    return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretKey(key.secret));
  }
  return jwt.setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid }).sign(key.privateKey);
}

/** Mints an HS256 token for development and tests (the mint-token CLI uses it). */
export function signDevToken(
  claims: TokenClaims,
  secret: string,
  options: SignOptions = {},
): Promise<string> {
  return signAccessToken(claims, { alg: 'HS256', secret }, options);
}
