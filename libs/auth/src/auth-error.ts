import { ProblemError } from '@lib/platform';

const STATUS = {
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  role_required: 403,
  challenge_unknown: 401,
  challenge_reused: 401,
  challenge_expired: 401,
  auth_unavailable: 503,
} as const;

export type AuthErrorCode = keyof typeof STATUS;

/**
 * Authentication or authorisation failure with a stable `code`: 401 for a missing, invalid or
 * expired token or sign-in challenge, 403 for a missing role, 503 when the JWKS cannot be fetched.
 */
export class AuthError extends ProblemError {
  constructor(
    override readonly code: AuthErrorCode,
    message: string,
  ) {
    super(STATUS[code], code, message);
    this.name = 'AuthError';
  }
}
