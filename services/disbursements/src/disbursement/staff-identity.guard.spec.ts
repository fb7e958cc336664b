import type { ExecutionContext } from '@nestjs/common';
import { FOUNDER_TOKEN_ISSUER } from '@lib/auth';
import { ProblemError } from '@lib/platform';
import type { DisbursementsConfig } from '../config';
import { StaffIdentityGuard } from './disbursement.controller';

const contextOf = (user: object): ExecutionContext =>
  ({ switchToHttp: () => ({ getRequest: () => ({ user }) }) }) as unknown as ExecutionContext;

describe('StaffIdentityGuard: treasury routes are for staff identities, as (issuer, sub)', () => {
  const guard = new StaffIdentityGuard({
    AUTH_FOUNDER_ISSUER: FOUNDER_TOKEN_ISSUER,
  } as DisbursementsConfig);

  it('refuses a founder-issuer identity whatever roles it carries', () => {
    const founder = { sub: 'ada.test.near', issuer: FOUNDER_TOKEN_ISSUER, roles: ['treasurer'] };
    expect(() => guard.canActivate(contextOf(founder))).toThrow(ProblemError);
    try {
      guard.canActivate(contextOf(founder));
    } catch (error) {
      expect((error as ProblemError).status).toBe(403);
    }
  });

  it('lets a staff identity with the same sub through (another person)', () => {
    const staff = { sub: 'ada.test.near', issuer: 'incubator-dev', roles: ['treasurer'] };
    expect(guard.canActivate(contextOf(staff))).toBe(true);
  });
});
