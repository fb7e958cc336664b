import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from './auth-error';
import { type AuthenticatedRequest, IS_PUBLIC_KEY, ROLES_KEY } from './decorators';
import { type JwtVerifier } from './jwt';
import type { AuthUser, Role } from './roles';

/** Injection token of the JwtVerifier used by the AuthGuard. */
export const JWT_VERIFIER = Symbol('JWT_VERIFIER');

/**
 * Authenticates every HTTP request with `Authorization: Bearer <JWT>` unless the route is
 * @Public(), sets `request.user`, then enforces @Roles(). Non-HTTP contexts (Kafka handlers) pass.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(JWT_VERIFIER) private readonly verifier: JwtVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const user = await this.verifier.verify(bearerToken(request.headers.authorization));
    request.user = user;
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    assertRoles(user, required ?? []);
    return true;
  }
}

/** The token of an `Authorization: Bearer <token>` header; AuthError 401 when absent or malformed. */
export function bearerToken(header: string | string[] | undefined): string {
  if (header === undefined || header === '') {
    throw new AuthError('token_missing', 'Authorization: Bearer <token> is required');
  }
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw new AuthError('token_invalid', 'Authorization header must be "Bearer <token>"');
  return match[1];
}

/** Throws AuthError 403 `role_required` unless `user` holds one of `anyOf` (empty = anyone). */
export function assertRoles(user: AuthUser, anyOf: readonly Role[]): void {
  if (anyOf.length > 0 && !anyOf.some((role) => user.roles.includes(role))) {
    throw new AuthError('role_required', `requires one of the roles: ${anyOf.join(', ')}`);
  }
}
