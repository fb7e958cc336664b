import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { JsonRpcProvider } from 'near-api-js';
import { z } from 'zod';
import {
  AuthError,
  type FounderSigningKey,
  founderJwks,
  Public,
  signFounderToken,
  type SignInChallengeStore,
} from '@lib/auth';
import {
  createSignInChallenge,
  nearAccountIdSchema,
  Nep413Error,
  verifyNep413SignIn,
} from '@lib/near';
import { ProblemError, SERVICE_CONFIG, validateBody } from '@lib/platform';
import type { ApplicationsConfig } from '../config';

export const SIGNIN_CHALLENGE_STORE = Symbol('SIGNIN_CHALLENGE_STORE');
export const NEAR_PROVIDER = Symbol('NEAR_PROVIDER');
export const FOUNDER_SIGNING_KEY = Symbol('FOUNDER_SIGNING_KEY');

const accountId = nearAccountIdSchema;
const base64 = (bytes: number) =>
  z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64')
    .refine((s) => Buffer.from(s, 'base64').length === bytes, `must decode to ${bytes} bytes`);

/** `POST /v1/auth/near/challenge` (also the API document's body). */
export const challengeBody = z.object({ accountId }).strict().openapi('SignInChallengeRequest');
/** `POST /v1/auth/near/verify`: what a wallet's NEP-413 signMessage returns, plus the signed fields. */
export const verifyBody = z
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
  .strict()
  .openapi('SignInVerifyRequest');

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
    @Inject(FOUNDER_SIGNING_KEY) private readonly founderKey: FounderSigningKey,
  ) {}

  @Post('challenge')
  @HttpCode(200)
  async challenge(
    @Body() body: unknown,
    @Req() req: IncomingMessage,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { accountId: account } = validateBody(challengeBody, body ?? {});
    const clientAddress = clientAddressOf(req);
    await this.assertUnderLimits(account, clientAddress, res);
    const challenge = createSignInChallenge({
      recipient: this.config.SIGNIN_RECIPIENT,
      accountId: account,
      now: new Date(),
      ttlMs: this.config.SIGNIN_CHALLENGE_TTL_SECONDS * 1000,
      random32: randomBytes(32),
    });
    await this.challenges.issue({ ...challenge, accountId: account, clientAddress });
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
    // Our own key and issuer, never the staff secret: this token can only ever mean "founder".
    const token = await signFounderToken({ sub: input.accountId, ttl }, this.founderKey, {
      issuer: this.config.AUTH_FOUNDER_ISSUER,
      audience: this.config.AUTH_AUDIENCE,
      now,
    });
    return { token, expiresAt: new Date(now.getTime() + ttl * 1000).toISOString() };
  }

  /** Each challenge is a row: per account and per address, only so many per window (429). */
  private async assertUnderLimits(
    accountId: string,
    clientAddress: string,
    res: Response,
  ): Promise<void> {
    const window = this.config.SIGNIN_RATE_WINDOW_SECONDS;
    const issued = await this.challenges.countIssuedSince(new Date(Date.now() - window * 1000), {
      accountId,
      clientAddress,
    });
    const which =
      issued.account >= this.config.SIGNIN_CHALLENGES_PER_ACCOUNT
        ? 'this account'
        : issued.address >= this.config.SIGNIN_CHALLENGES_PER_ADDRESS
          ? 'this address'
          : undefined;
    if (which) {
      res.setHeader('retry-after', String(window));
      throw new ProblemError(
        429,
        'signin_rate_limited',
        `too many sign-in challenges for ${which}; try again later`,
      );
    }
  }
}

/**
 * The client's address: the first X-Forwarded-For entry, which the gateway sets to the client
 * it resolved (TRUSTED_PROXY_HOPS), else the socket's peer.
 */
function clientAddressOf(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  return (first || req.socket.remoteAddress || 'unknown').slice(0, 100);
}

/** The public keys of founder tokens, for the other services (and anyone) to verify them. */
@Controller('.well-known')
@Public()
export class JwksController {
  constructor(@Inject(FOUNDER_SIGNING_KEY) private readonly founderKey: FounderSigningKey) {}

  @Get('jwks.json')
  jwks(@Res({ passthrough: true }) res: Response) {
    res.setHeader('cache-control', 'public, max-age=300');
    return founderJwks(this.founderKey);
  }
}
