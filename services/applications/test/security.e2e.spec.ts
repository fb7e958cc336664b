import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createJwtVerifier, generateFounderKey, jose, signDevToken } from '@lib/auth';
import { bearer, eventually } from '@lib/testing';
import { applicationBody, type Harness, JWT_SECRET, startHarness } from './harness';

/** Issue 9's findings as a client would try them, through the gateway. */
describe('auth and input hardening', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  const auth = bearer;
  const applicationsUrl = () =>
    `http://127.0.0.1:${(h.applications.getHttpServer().address() as AddressInfo).port}`;

  beforeAll(async () => {
    // One trusted proxy in front of the gateway, so a test can be "another address".
    h = await startHarness(
      { SIGNIN_CHALLENGES_PER_ACCOUNT: '3', SIGNIN_CHALLENGES_PER_ADDRESS: '5' },
      { TRUSTED_PROXY_HOPS: '1' },
    );
    founder = await h.signInFounder();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  describe('founder tokens', () => {
    it('are EdDSA tokens of their own issuer, verifiable by any service through the public JWKS', async () => {
      const header = jose.decodeProtectedHeader(founder.token);
      const claims = jose.decodeJwt(founder.token);
      expect(header.alg).toBe('EdDSA');
      expect(claims).toMatchObject({ iss: h.config.AUTH_FOUNDER_ISSUER, roles: ['founder'] });
      expect(claims.iss).not.toBe(h.config.AUTH_ISSUER);
      const jwks = await request(applicationsUrl()).get('/.well-known/jwks.json').expect(200);
      expect(jwks.body.keys).toEqual([
        expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: header.kid }),
      ]);
      expect(JSON.stringify(jwks.body)).not.toMatch(/"d"/); // the public half only
      // What grants or milestones do: verify with AUTH_FOUNDER_JWKS_URL, no shared secret.
      const elsewhere = createJwtVerifier({
        issuer: 'some-idp',
        audience: h.config.AUTH_AUDIENCE,
        founder: {
          issuer: h.config.AUTH_FOUNDER_ISSUER,
          jwksUrl: `${applicationsUrl()}/.well-known/jwks.json`,
        },
      });
      await expect(elsewhere.verify(founder.token)).resolves.toEqual({
        sub: founder.accountId,
        roles: ['founder'],
        issuer: h.config.AUTH_FOUNDER_ISSUER,
      });
    });

    it('a founder-issuer token claiming admin is refused (401)', async () => {
      const [headerPart, , signature] = founder.token.split('.');
      const claims = jose.decodeJwt(founder.token);
      const elevated = Buffer.from(
        JSON.stringify({ ...claims, roles: ['founder', 'admin'] }),
      ).toString('base64url');
      const res = await h
        .api()
        .get('/v1/applications')
        .set(auth(`${headerPart}.${elevated}.${signature}`))
        .expect(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      // Even correctly signed (a leaked or stolen founder key would be needed): still refused.
      const key = generateFounderKey();
      const signedAdmin = await new jose.SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setSubject(founder.accountId)
        .setIssuer(h.config.AUTH_FOUNDER_ISSUER)
        .setAudience(h.config.AUTH_AUDIENCE)
        .setExpirationTime('1h')
        .sign(key.privateKey);
      await h.api().get('/v1/applications').set(auth(signedAdmin)).expect(401);
    });

    it('the staff secret cannot mint a founder: an HS256 "founder" has no founder role here', async () => {
      const staffFounder = await signDevToken(
        { sub: founder.accountId, roles: ['founder'], ttl: '1h' },
        JWT_SECRET,
        { issuer: h.config.AUTH_ISSUER, audience: h.config.AUTH_AUDIENCE },
      );
      const res = await h
        .api()
        .post('/v1/applications')
        .set(auth(staffFounder))
        .send(applicationBody(founder.accountId))
        .expect(403);
      expect(res.body.code).toBe('role_required');
      // Nor can it sign with the founder issuer: HS256 is not a founder key.
      const forged = await signDevToken(
        { sub: founder.accountId, roles: ['founder'], ttl: '1h' },
        JWT_SECRET,
        { issuer: h.config.AUTH_FOUNDER_ISSUER, audience: h.config.AUTH_AUDIENCE },
      );
      await h.api().get('/v1/applications').set(auth(forged)).expect(401);
    });
  });

  describe('identities are (issuer, sub)', () => {
    it("a staff member whose sub is a founder's account neither owns nor lists that founder's work", async () => {
      const id = await h.draft(founder);
      // Same sub, other issuer, claiming founder: not the applicant.
      const lookalike = await signDevToken(
        { sub: founder.accountId, roles: ['founder'], ttl: '1h' },
        JWT_SECRET,
        { issuer: h.config.AUTH_ISSUER, audience: h.config.AUTH_AUDIENCE },
      );
      await h.api().get(`/v1/applications/${id}`).set(auth(lookalike)).expect(403);
      await h
        .api()
        .patch(`/v1/applications/${id}`)
        .set(auth(lookalike))
        .send({ title: 'Taken over by a lookalike' })
        .expect(403);
      const list = await h.api().get('/v1/applications').set(auth(lookalike)).expect(200);
      expect(list.body.items).toEqual([]);
      // The founder still sees it.
      await h.api().get(`/v1/applications/${id}`).set(auth(founder.token)).expect(200);
    });

    it("idempotency keys are per identity: a lookalike's key never replays the founder's answer", async () => {
      const key = randomUUID();
      const first = await h
        .api()
        .post('/v1/applications')
        .set({ ...auth(founder.token), 'idempotency-key': key })
        .send(applicationBody(founder.accountId))
        .expect(201);
      const reviewer = await h.staffToken(founder.accountId, ['reviewer']);
      const other = await h
        .api()
        .post('/v1/applications')
        .set({ ...auth(reviewer), 'idempotency-key': key })
        .send(applicationBody(founder.accountId));
      expect(other.status).toBe(403); // its own (refused) request, not the founder's stored 201
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(JSON.stringify(other.body)).not.toContain(first.body.id as string);
    });
  });

  describe('query strings and cursors', () => {
    it('the reported tampered cursor is a 400 naming it, not a 500', async () => {
      const tampered = Buffer.from(
        JSON.stringify({ createdAt: 1, id: '00000000-0000-0000-0000-000000000000' }),
      ).toString('base64');
      const res = await h
        .api()
        .get(`/v1/applications?cursor=${encodeURIComponent(tampered)}`)
        .set(auth(founder.token))
        .expect(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    });

    it.each([
      [
        'an impossible date in a cursor',
        { createdAt: '2026-02-30T00:00:00.000Z', id: randomUUID() },
      ],
      ['a non-uuid id in a cursor', { createdAt: '2026-01-01T00:00:00.000Z', id: '-'.repeat(36) }],
      ['an extra field', { createdAt: '2026-01-01T00:00:00.000Z', id: randomUUID(), x: 1 }],
    ])('%s is a 400', async (_name, position) => {
      const cursor = Buffer.from(JSON.stringify(position)).toString('base64url');
      const res = await h
        .api()
        .get(`/v1/applications?cursor=${cursor}`)
        .set(auth(founder.token))
        .expect(400);
      expect(res.body.errors[0].field).toBe('cursor');
    });

    it.each([
      'createdFrom=2026-01-01T00:00:00%2B99:99',
      'createdFrom=0000-01-01',
      'createdTo=9999-12-31T23:59:59.999%2B00:00&createdFrom=nope',
      'limit=1e9',
      'limit=',
      'status=draft&status=submitted',
      'status[a]=draft',
      'reviewer=%00',
      'unknown=1',
    ])('?%s is a 400 naming the parameter', async (query) => {
      const staff = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
      const res = await h.api().get(`/v1/applications?${query}`).set(auth(staff)).expect(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors.length).toBeGreaterThan(0);
    });

    it('pages with the cursors it issues', async () => {
      const mine = await h.signInFounder();
      for (let i = 0; i < 3; i += 1) {
        await h
          .api()
          .post('/v1/applications')
          .set(auth(mine.token))
          .send(applicationBody(mine.accountId))
          .expect(201);
      }
      // The list is a read model: wait until all three are in it.
      await eventually(async () => {
        const all = await h.api().get('/v1/applications').set(auth(mine.token)).expect(200);
        return all.body.items.length === 3 ? true : undefined;
      });
      const page1 = await h.api().get('/v1/applications?limit=2').set(auth(mine.token)).expect(200);
      expect(page1.body.items).toHaveLength(2);
      const page2 = await h
        .api()
        .get(`/v1/applications?limit=2&cursor=${page1.body.nextCursor as string}`)
        .set(auth(mine.token))
        .expect(200);
      expect(page2.body.items).toHaveLength(1);
      expect(page2.body.nextCursor).toBeNull();
    });
  });

  describe('sign-in challenges are limited', () => {
    const challenge = (accountId: string, address: string) =>
      h.api().post('/v1/auth/near/challenge').set('x-forwarded-for', address).send({ accountId });
    const address = () =>
      `198.51.100.${Math.floor(Math.random() * 200) + 1}-${randomUUID().slice(0, 4)}`;

    it('per account (3 per window here): the 4th is a 429 with Retry-After, from any address', async () => {
      const accountId = `limit-${randomBytes(4).toString('hex')}.test.near`;
      for (let i = 0; i < 3; i += 1) await challenge(accountId, address()).expect(200);
      const refused = await challenge(accountId, address()).expect(429);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.body.code).toBe('signin_rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('per address (5 per window here), across accounts; other addresses are not affected', async () => {
      const from = address();
      const account = () => `addr-${randomBytes(4).toString('hex')}.test.near`;
      for (let i = 0; i < 5; i += 1) await challenge(account(), from).expect(200);
      expect((await challenge(account(), from).expect(429)).body.code).toBe('signin_rate_limited');
      await challenge(account(), address()).expect(200);
      const rows = await h.pool.query(
        'SELECT count(*) AS n FROM applications.signin_challenges WHERE client_address = $1',
        [from],
      );
      expect(Number(rows.rows[0].n)).toBe(5); // the refused one stored nothing
    });
  });

  describe('correlation ids', () => {
    /** The correlation ids stored for a new application created with `x-correlation-id: sent`. */
    const storedCorrelations = async (sent: string) => {
      const created = await h
        .api()
        .post('/v1/applications')
        .set({ ...auth(founder.token), 'x-correlation-id': sent })
        .send(applicationBody(founder.accountId))
        .expect(201);
      const { rows } = await h.pool.query<{ correlation_id: string }>(
        'SELECT correlation_id FROM applications.events WHERE stream_id = $1',
        [`application-${created.body.id as string}`],
      );
      return rows.map((row) => row.correlation_id);
    };

    it('a client correlation id that is not a UUID never reaches stored events', async () => {
      const sent = `evil-${randomUUID()}\n{"forged":true}`;
      const stored = await storedCorrelations(sent.replace('\n', ' '));
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const uuid = randomUUID();
      expect((await storedCorrelations(uuid))[0]).toBe(uuid);
    });
  });
});
