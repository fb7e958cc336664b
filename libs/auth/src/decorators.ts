import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { PUBLIC_ROUTE_METADATA } from '@lib/platform';
import type { AuthUser, Role } from './roles';

/** Same key as the platform's health controller uses, so both mean one thing to the guard. */
export const IS_PUBLIC_KEY = PUBLIC_ROUTE_METADATA;
export const ROLES_KEY = 'auth:roles';

/** A request after the AuthGuard: `user` is set unless the route is @Public(). */
export type AuthenticatedRequest = Request & { user?: AuthUser };

/** Skips authentication for a route or controller (health, sign-in). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** Requires the caller to hold at least one of `roles` (403 `role_required` otherwise). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

/** The authenticated caller (`request.user`), or one of its fields: `@CurrentUser('sub')`. */
export const CurrentUser = createParamDecorator(
  (field: keyof AuthUser | undefined, context: ExecutionContext) => {
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    return field ? user?.[field] : user;
  },
);
