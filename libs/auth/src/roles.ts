/** The roles a token can carry (DESIGN.md §6). */
export const ROLES = ['founder', 'reviewer', 'admin', 'treasurer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The authenticated caller, attached to the request as `request.user`. */
export interface AuthUser {
  /** JWT `sub`: a NEAR account id for founders (NEP-413), a staff identity otherwise. */
  sub: string;
  roles: Role[];
  name?: string;
  /**
   * JWT `iss`: who vouches for `sub`. A founder's NEAR account and a staff id are only the same
   * person when issuer and sub both match ({@link sameIdentity}). Absent only on hand-built users.
   */
  issuer?: string;
}

/** Who a caller is: the (issuer, sub) pair. */
export interface Identity {
  issuer?: string;
  sub: string;
}

/**
 * A stable string key of an identity, for storage and maps (idempotency scope, approvals).
 * JSON, so no choice of `sub` or `issuer` can make two identities collide.
 */
export function identityOf(identity: Identity): string {
  return JSON.stringify([identity.issuer ?? '', identity.sub]);
}

/** True when both name the same person: same issuer and same sub (never sub alone). */
export function sameIdentity(a: Identity, b: Identity): boolean {
  return (a.issuer ?? '') === (b.issuer ?? '') && a.sub === b.sub;
}
