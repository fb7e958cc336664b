import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import type { JsonRpcProvider } from 'near-api-js';
import { z } from 'zod';
import { AuthError, Public, signAccessToken, type SignInChallengeStore } from '@lib/auth';
import {
  createSignInChallenge,
  isValidNearAccountId,
  Nep413Error,
  verifyNep413SignIn,
} from '@lib/near';
import { ProblemError, SERVICE_CONFIG } from '@lib/platform';
import type { ApplicationsConfig } from '../config';
import { validateBody } from '../application/application.dto';

export const SIGNIN_CHALLENGE_STORE = Symbol('SIGNIN_CHALLENGE_STORE');
export const NEAR_PROVIDER = Symbol('NEAR_PROVIDER');

const accountId = z
  .string()
  .min(2)
  .max(64)
  .refine(isValidNearAccountId, 'not a valid NEAR account id');
const base64 = (bytes: number) =>
  z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64')
    .refine((s) => Buffer.from(s, 'base64').length === bytes, `must decode to ${bytes} bytes`);

const challengeBody = z.object({ accountId }).strict();
const verifyBody = z
  .object({
    accountId,
    publicKey: z
      .string()
      .regex(/^ed25519:[1-9A-HJ-NP-Za-km-z]{32,50}$/, 'not an ed25519 public key'),
    signature: base64(64),
    nonce: base64(32),
    message: z.string().min(1).max(1000),
    recipient: z.string().min(1).max(100),
  })
  .strict();

/**
 * Founder sign-in with NEAR (NEP-413): a challenge (nonce + message for this recipient), then the
 * wallet's signature over it → a founder session token whose `sub` is the NEAR account.
 */
@Controller('v1/auth/near')
@Public()
export class SignInController {
  constructor(
    @Inject(SIGNIN_CHALLENGE_STORE) private readonly challenges: SignInChallengeStore,
    @Inject(NEAR_PROVIDER) private readonly provider: JsonRpcProvider,
    @Inject(SERVICE_CONFIG) private readonly config: ApplicationsConfig,
  ) {}

  @Post('challenge')
  @HttpCode(200)
  async challenge(@Body() body: unknown) {
    const { accountId: account } = validateBody(challengeBody, body ?? {});
    const challenge = createSignInChallenge({
      recipient: this.config.SIGNIN_RECIPIENT,
      accountId: account,
      now: new Date(),
      ttlMs: this.config.SIGNIN_CHALLENGE_TTL_SECONDS * 1000,
      random32: randomBytes(32),
    });
    await this.challenges.issue({ ...challenge, accountId: account });
    return {
      message: challenge.message,
      recipient: challenge.recipient,
      nonce: challenge.nonce,
      expiresAt: challenge.expiresAt.toISOString(),
    };
  }

  @Post('verify')
  @HttpCode(200)
  async verify(@Body() body: unknown) {
    const input = validateBody(verifyBody, body ?? {});
    const now = new Date();
    // Single use: the nonce is spent before the signature is checked, so a replay never gets in.
    const issued = await this.challenges.consume(input.nonce, input.accountId, now);
    try {
      await verifyNep413SignIn({
        provider: this.provider,
        ...input,
        expected: { recipient: issued.recipient, message: issued.message },
      });
    } catch (error) {
      if (error instanceof Nep413Error) {
        throw new ProblemError(401, `signin_${error.code}`, error.message);
      }
      throw new AuthError('auth_unavailable', 'NEAR RPC could not confirm the key; try again');
    }
    const ttl = this.config.FOUNDER_TOKEN_TTL_SECONDS;
    const token = await signAccessToken(
      { sub: input.accountId, roles: ['founder'], ttl },
      { alg: 'HS256', secret: this.config.AUTH_JWT_SECRET },
      { issuer: this.config.AUTH_ISSUER, audience: this.config.AUTH_AUDIENCE, now },
    );
    return { token, expiresAt: new Date(now.getTime() + ttl * 1000).toISOString() };
  }
}
