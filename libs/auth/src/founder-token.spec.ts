import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ProblemDetailsFilter } from '@lib/platform';
import { AuthError } from './auth-error';
import { AuthModule } from './auth.module';
import { CurrentUser, Roles } from './decorators';
import { founderJwks, generateFounderKey, signFounderToken } from './founder-keys';
import { jose } from './jose';
import {
  createJwtVerifier,
  DEV_TOKEN_AUDIENCE,
  DEV_TOKEN_ISSUER,
  FOUNDER_TOKEN_ISSUER,
  signAccessToken,
  signDevToken,
} from './jwt';
import { identityOf, sameIdentity, type AuthUser } from './roles';

const secret = 'founder-test-secret-that-is-long-enough-0';
const founderKey = generateFounderKey();
const founder = { issuer: FOUNDER_TOKEN_ISSUER, jwks: founderJwks(founderKey) };
const base = { issuer: DEV_TOKEN_ISSUER, audience: DEV_TOKEN_AUDIENCE, founder };

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

/** A token of the founder issuer, signed with the founder key, with whatever roles. */
const founderIssuerToken = (roles: string[], key = founderKey) =>
  new jose.SignJWT({ roles })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setSubject('ada.near')
    .setIssuer(FOUNDER_TOKEN_ISSUER)
    .setAudience(DEV_TOKEN_AUDIENCE)
    .setExpirationTime('1h')
    .sign(key.privateKey);

describe('founder tokens: their own EdDSA key and issuer, only the founder role', () => {
  const verifier = createJwtVerifier({ ...base, hs256Secret: secret });

  it('verifies a founder token and says who issued it', async () => {
    const token = await signFounderToken({ sub: 'ada.near', ttl: '1h' }, founderKey, {
      audience: DEV_TOKEN_AUDIENCE,
    });
    expect(jose.decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: founderKey.kid });
    await expect(verifier.verify(token)).resolves.toEqual({
      sub: 'ada.near',
      roles: ['founder'],
      issuer: FOUNDER_TOKEN_ISSUER,
    });
  });

  it.each([[['admin']], [['founder', 'admin']], [['treasurer']], [[]], [['founder', 'root']]])(
    'refuses a founder-issuer token claiming %j',
    async (roles) => {
      const error = await rejection(verifier.verify(await founderIssuerToken(roles)));
      expect([error.status, error.code]).toEqual([401, 'token_invalid']);
    },
  );

  it('refuses a founder-issuer token signed with the staff secret or another key', async () => {
    const hs = await signDevToken({ sub: 'ada.near', roles: ['founder'], ttl: '1h' }, secret, {
      issuer: FOUNDER_TOKEN_ISSUER,
    });
    expect((await rejection(verifier.verify(hs))).code).toBe('token_invalid');
    const other = await founderIssuerToken(['founder'], generateFounderKey());
    expect((await rejection(verifier.verify(other))).code).toBe('token_invalid');
  });

  it('refuses a staff-issuer token signed with the founder key', async () => {
    const token = await signAccessToken(
      { sub: 'rev-x', roles: ['admin'], ttl: '1h' },
      { alg: 'EdDSA', privateKey: founderKey.privateKey, kid: founderKey.kid },
    );
    expect((await rejection(verifier.verify(token))).code).toBe('token_invalid');
  });

  it('refuses a founder issuer that is also a staff issuer', () => {
    expect(() =>
      createJwtVerifier({ ...base, issuer: FOUNDER_TOKEN_ISSUER, hs256Secret: secret }),
    ).toThrow(/issuer of their own/);
  });

  it('drops the founder role from staff tokens when founders must have signed in', async () => {
    const strict = createJwtVerifier({ ...base, hs256Secret: secret, staffMayClaimFounder: false });
    const staffFounder = await signDevToken(
      { sub: 'ada.near', roles: ['founder', 'reviewer'], ttl: '1h' },
      secret,
    );
    await expect(strict.verify(staffFounder)).resolves.toMatchObject({ roles: ['reviewer'] });
  });
});

describe('production: staff tokens only from the identity provider', () => {
  it('refuses to build a verifier with the HS256 secret', () => {
    expect(() => createJwtVerifier({ ...base, hs256Secret: secret, production: true })).toThrow(
      /refused in production/,
    );
  });

  it('answers 401 to an HS256 admin token', async () => {
    @Controller('admin')
    class AdminController {
      @Get()
      @Roles('admin')
      get(@CurrentUser() user: AuthUser) {
        return user;
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.forConfig(
          {
            NODE_ENV: 'production',
            AUTH_JWKS_URL: 'https://idp.invalid/.well-known/jwks.json',
            AUTH_ISSUER: DEV_TOKEN_ISSUER,
            AUTH_AUDIENCE: DEV_TOKEN_AUDIENCE,
          },
          { founder },
        ),
      ],
      controllers: [AdminController],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.init();
    try {
      const admin = await signDevToken({ sub: 'mallory', roles: ['admin'], ttl: '1h' }, secret);
      const res = await request(app.getHttpServer())
        .get('/admin')
        .set('authorization', `Bearer ${admin}`)
        .expect(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('token_invalid');
      // A founder-issuer token claiming admin is refused just the same.
      const forged = await founderIssuerToken(['admin']);
      await request(app.getHttpServer())
        .get('/admin')
        .set('authorization', `Bearer ${forged}`)
        .expect(401);
    } finally {
      await app.close();
    }
  });

  it('accepts founder tokens, and no HS256 token claiming founder', async () => {
    const verifier = createJwtVerifier({ ...base, production: true });
    const founderOnly = await signFounderToken({ sub: 'ada.near', ttl: '1h' }, founderKey, {
      audience: DEV_TOKEN_AUDIENCE,
    });
    await expect(verifier.verify(founderOnly)).resolves.toMatchObject({ roles: ['founder'] });
    const hs = await signDevToken({ sub: 'ada.near', roles: ['founder'], ttl: '1h' }, secret);
    expect((await rejection(verifier.verify(hs))).status).toBe(401);
  });
});

describe('identities are (issuer, sub)', () => {
  it('tells a founder and a staff member with the same sub apart', () => {
    const founderAda = { sub: 'ada.near', issuer: FOUNDER_TOKEN_ISSUER };
    const staffAda = { sub: 'ada.near', issuer: DEV_TOKEN_ISSUER };
    expect(sameIdentity(founderAda, staffAda)).toBe(false);
    expect(sameIdentity(founderAda, { ...founderAda })).toBe(true);
    expect(identityOf(founderAda)).not.toBe(identityOf(staffAda));
    // No choice of characters makes two different pairs share a key.
    expect(identityOf({ issuer: 'a|b', sub: 'c' })).not.toBe(
      identityOf({ issuer: 'a', sub: 'b|c' }),
    );
  });
});
