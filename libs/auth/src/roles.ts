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
}
