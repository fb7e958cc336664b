import { type Role, signDevToken } from '@lib/auth';

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
