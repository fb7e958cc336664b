import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey } from 'jose';
import { AuthError } from './auth-error';
import { jose } from './jose';
import {
  createJwtVerifier,
  DEV_TOKEN_AUDIENCE,
  DEV_TOKEN_ISSUER,
  signAccessToken,
  signDevToken,
  ttlSeconds,
} from './jwt';

const secret = 'test-secret-that-is-at-least-32-bytes-long';
const options = { hs256Secret: secret, issuer: DEV_TOKEN_ISSUER, audience: DEV_TOKEN_AUDIENCE };

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('HS256', () => {
  const verifier = createJwtVerifier(options);

  it('verifies a dev token and returns the caller', async () => {
    const token = await signDevToken(
      { sub: 'rev-alice', roles: ['reviewer', 'admin'], name: 'Alice', ttl: '8h' },
      secret,
    );
    await expect(verifier.verify(token)).resolves.toEqual({
      sub: 'rev-alice',
      roles: ['reviewer', 'admin'],
      name: 'Alice',
      issuer: DEV_TOKEN_ISSUER,
    });
  });

  it('rejects an expired token with token_expired', async () => {
    const token = await signDevToken({ sub: 'a', roles: ['founder'], ttl: 60 }, secret, {
      now: new Date(Date.now() - 3_600_000),
    });
    const error = await rejection(verifier.verify(token));
    expect([error.status, error.code]).toEqual([401, 'token_expired']);
  });

  it('honours the injected clock', async () => {
    const issued = new Date('2030-01-01T00:00:00Z');
    const token = await signDevToken({ sub: 'a', roles: [], ttl: '1h' }, secret, { now: issued });
    const at = (ms: number) =>
      createJwtVerifier({ ...options, now: () => new Date(issued.getTime() + ms) });
    await expect(at(59 * 60_000).verify(token)).resolves.toMatchObject({ sub: 'a' });
    expect((await rejection(at(61 * 60_000).verify(token))).code).toBe('token_expired');
  });

  it('remembers a verified token only until it expires', async () => {
    let now = new Date('2026-11-26T12:00:00Z');
    const clocked = createJwtVerifier({ ...options, now: () => now });
    const token = await signDevToken({ sub: 'rev-bob', roles: ['reviewer'], ttl: 120 }, secret, {
      now,
    });
    await expect(clocked.verify(token)).resolves.toMatchObject({ sub: 'rev-bob' });
    now = new Date('2026-11-26T12:00:30Z'); // served from the cache
    await expect(clocked.verify(token)).resolves.toMatchObject({ sub: 'rev-bob' });
    now = new Date('2026-11-26T12:03:00Z'); // past exp: the cache must not keep it alive
    expect((await rejection(clocked.verify(token))).code).toBe('token_expired');
  });

  it('rejects a token signed with another secret (forged)', async () => {
    const token = await signDevToken({ sub: 'a', roles: ['admin'], ttl: '1h' }, `${secret}-other`);
    const error = await rejection(verifier.verify(token));
    expect([error.status, error.code]).toEqual([401, 'token_invalid']);
  });

  it('rejects a token whose payload was altered', async () => {
    const token = await signDevToken({ sub: 'a', roles: ['founder'], ttl: '1h' }, secret);
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(
      JSON.stringify({
        sub: 'a',
        roles: ['admin'],
        iss: DEV_TOKEN_ISSUER,
        aud: DEV_TOKEN_AUDIENCE,
        exp: 4e9,
      }),
    ).toString('base64url');
    expect((await rejection(verifier.verify(`${header}.${payload}.${signature}`))).code).toBe(
      'token_invalid',
    );
  });

  it('rejects the wrong issuer or audience', async () => {
    const wrongIssuer = await signDevToken({ sub: 'a', roles: [], ttl: '1h' }, secret, {
      issuer: 'evil',
    });
    const wrongAudience = await signDevToken({ sub: 'a', roles: [], ttl: '1h' }, secret, {
      audience: 'other',
    });
    expect((await rejection(verifier.verify(wrongIssuer))).message).toContain('"iss"');
    expect((await rejection(verifier.verify(wrongAudience))).message).toContain('"aud"');
  });

  it('rejects alg "none" and garbage', async () => {
    const unsecured = new jose.UnsecuredJWT({ sub: 'a', roles: ['admin'] })
      .setIssuer(DEV_TOKEN_ISSUER)
      .setAudience(DEV_TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .encode();
    expect((await rejection(verifier.verify(unsecured))).code).toBe('token_invalid');
    expect((await rejection(verifier.verify('not.a.jwt'))).code).toBe('token_invalid');
    expect((await rejection(verifier.verify(''))).code).toBe('token_invalid');
  });

  it('rejects HS384/HS512 even with the right secret (wrong alg)', async () => {
    const token = await new jose.SignJWT({ roles: [] })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('a')
      .setIssuer(DEV_TOKEN_ISSUER)
      .setAudience(DEV_TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect((await rejection(verifier.verify(token))).code).toBe('token_invalid');
  });

  it('requires sub and exp', async () => {
    const key = new TextEncoder().encode(secret);
    const base = () =>
      new jose.SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(DEV_TOKEN_ISSUER)
        .setAudience(DEV_TOKEN_AUDIENCE);
    const noSub = await base().setExpirationTime('1h').sign(key);
    const noExp = await base().setSubject('a').sign(key);
    expect((await rejection(verifier.verify(noSub))).message).toContain('"sub"');
    expect((await rejection(verifier.verify(noExp))).message).toContain('"exp"');
  });

  it('drops unknown roles and rejects malformed roles', async () => {
    const key = new TextEncoder().encode(secret);
    const withRoles = (roles: unknown) =>
      new jose.SignJWT({ roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('a')
        .setIssuer(DEV_TOKEN_ISSUER)
        .setAudience(DEV_TOKEN_AUDIENCE)
        .setExpirationTime('1h')
        .sign(key);
    await expect(
      verifier.verify(await withRoles(['admin', 'superuser', 'admin'])),
    ).resolves.toEqual({
      sub: 'a',
      roles: ['admin'],
      issuer: DEV_TOKEN_ISSUER,
    });
    expect((await rejection(verifier.verify(await withRoles('admin')))).code).toBe('token_invalid');
    expect((await rejection(verifier.verify(await withRoles([1])))).code).toBe('token_invalid');
  });

  it('refuses short secrets and a verifier without keys', () => {
    expect(() => createJwtVerifier({ ...options, hs256Secret: 'short' })).toThrow(/32 bytes/);
    expect(() => createJwtVerifier({ issuer: 'i', audience: 'a' })).toThrow(/hs256Secret/);
  });

  it('refuses to mint unknown roles or bad ttls', async () => {
    await expect(
      signDevToken({ sub: 'a', roles: ['root' as never], ttl: '1h' }, secret),
    ).rejects.toThrow(/unknown roles/);
    await expect(signDevToken({ sub: 'a', roles: [], ttl: 'forever' }, secret)).rejects.toThrow(
      /ttl/,
    );
  });

  it('parses ttls', () => {
    expect([
      ttlSeconds('90s'),
      ttlSeconds('15m'),
      ttlSeconds('8h'),
      ttlSeconds('7d'),
      ttlSeconds(30),
    ]).toEqual([90, 900, 28_800, 604_800, 30]);
    expect(() => ttlSeconds('0h')).toThrow();
    expect(() => ttlSeconds(-1)).toThrow();
  });
});

describe('RS256 via JWKS', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  let publicPem: string;
  let requests = 0;

  beforeAll(async () => {
    const pair = await jose.generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicPem = await jose.exportSPKI(pair.publicKey);
    const jwk = {
      ...(await jose.exportJWK(pair.publicKey)),
      kid: 'key-1',
      alg: 'RS256',
      use: 'sig',
    };
    server = createServer((_req, res) => {
      requests += 1;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const rsOptions = () => ({ jwksUrl, issuer: 'https://idp.example', audience: 'incubator-api' });
  const sign = (kid = 'key-1', key: CryptoKey = privateKey) =>
    signAccessToken(
      { sub: 'staff-1', roles: ['treasurer'], name: 'Tess', ttl: '5m' },
      { alg: 'RS256', privateKey: key, kid },
      {
        issuer: 'https://idp.example',
        audience: 'incubator-api',
      },
    );

  it('verifies a token signed by a key in the JWKS', async () => {
    const before = requests;
    const verifier = createJwtVerifier(rsOptions());
    await expect(verifier.verify(await sign())).resolves.toEqual({
      sub: 'staff-1',
      roles: ['treasurer'],
      name: 'Tess',
      issuer: 'https://idp.example',
    });
    await verifier.verify(await sign());
    expect(requests - before).toBe(1); // the key set is cached
  });

  it('rejects a token signed by a key not in the JWKS', async () => {
    const other = await jose.generateKeyPair('RS256');
    const verifier = createJwtVerifier(rsOptions());
    expect((await rejection(verifier.verify(await sign('key-2', other.privateKey)))).code).toBe(
      'token_invalid',
    );
    expect((await rejection(verifier.verify(await sign('key-1', other.privateKey)))).code).toBe(
      'token_invalid',
    );
  });

  it('rejects HS256 when only RS256 is configured, including HMAC-with-the-public-key confusion', async () => {
    const verifier = createJwtVerifier(rsOptions());
    const confused = await new jose.SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('https://idp.example')
      .setAudience('incubator-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(publicPem));
    expect((await rejection(verifier.verify(confused))).code).toBe('token_invalid');
  });

  it('rejects RS256 when only HS256 is configured', async () => {
    const verifier = createJwtVerifier({
      ...options,
      issuer: 'https://idp.example',
      audience: 'incubator-api',
    });
    expect((await rejection(verifier.verify(await sign()))).code).toBe('token_invalid');
  });

  it('accepts both algorithms when both keys are configured', async () => {
    const verifier = createJwtVerifier({ ...rsOptions(), hs256Secret: secret });
    const hs = await signDevToken({ sub: 'dev', roles: ['admin'], ttl: '1h' }, secret, {
      issuer: 'https://idp.example',
      audience: 'incubator-api',
    });
    await expect(verifier.verify(hs)).resolves.toMatchObject({ sub: 'dev' });
    await expect(verifier.verify(await sign())).resolves.toMatchObject({ sub: 'staff-1' });
  });

  it('answers 503 auth_unavailable when the JWKS cannot be fetched', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const verifier = createJwtVerifier({
      ...rsOptions(),
      jwksUrl: `http://127.0.0.1:${port}/jwks`,
    });
    const error = await rejection(verifier.verify(await sign()));
    expect([error.status, error.code]).toEqual([503, 'auth_unavailable']);
  });
});
