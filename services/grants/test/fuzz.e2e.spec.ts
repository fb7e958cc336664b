import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  expectProblemOrSuccess,
  headerValue as headerValues,
  fuzzBodies,
  hostileValues,
  ODD_STRINGS,
} from '@lib/testing';
import { auth, type Harness, startHarness } from './harness';

/** Values a careless or hostile client might send: wrong types, huge and odd strings, nesting. */
const hostileValue = hostileValues([
  ...ODD_STRINGS,
  'verified',
  'expired',
  '2027-02-30',
  '2020-01-01',
  'ed25519:11111111111111111111111111111111',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  'a.near',
  'A.NEAR',
]);

/** Visible ASCII header values (what an HTTP client can send at all), plus near-misses. */
const headerValue = headerValues();

const queryValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom('awarded', 'active,completed', 'USDC', '0', '101', '-1', '1e3', 'eyJhIjoxfQ', ''),
);

/** Path segments where the grant id goes. */
const segment = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.constantFrom('0', '%00', '00000000-0000-0000-0000-000000000000', 'A'.repeat(300)),
);

describe('fuzzing every grants route: body, query, headers, path', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  let admin: string;

  // Counted per grant stream: other grants' consumers may append meanwhile.
  const eventCount = async (id: string) =>
    Number(
      (
        await h.pool.query('SELECT count(*) AS n FROM grants.events WHERE stream_id = $1', [
          `grant-${id}`,
        ])
      ).rows[0].n,
    );

  beforeAll(async () => {
    h = await startHarness();
    founder = await h.signInFounder();
    admin = await h.staffToken(`admin-fuzz-${randomBytes(3).toString('hex')}`, ['admin']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const awardedGrant = async () => (await h.awardedGrant(founder)).id;

  const signedShape = {
    accountId: 'a.test.near',
    publicKey: 'ed25519:8hSHprDq2StXwMtNd43wDTXQYsjXcD4MJTXQYsjXcc7F',
    signature: Buffer.alloc(64, 1).toString('base64'),
    nonce: Buffer.alloc(32, 2).toString('base64'),
    message: 'Accept',
    recipient: 'incubator.near',
  };

  it('bodies: never 5xx, always problem+json, and a refused body appends nothing', async () => {
    const id = await awardedGrant();
    const routes = [
      { path: `/v1/grants/${id}/acceptance-challenge`, token: founder.token, valid: {} },
      { path: `/v1/grants/${id}/accept`, token: founder.token, valid: signedShape },
      {
        path: `/v1/grants/${id}/payout-account-challenge`,
        token: founder.token,
        valid: { accountId: 'next.test.near' },
      },
      { path: `/v1/grants/${id}/payout-account`, token: founder.token, valid: signedShape },
      {
        path: `/v1/grants/${id}/payout-account/approve`,
        token: admin,
        valid: { payoutAccount: 'next.test.near' },
      },
      {
        path: `/v1/grants/${id}/kyc`,
        token: admin,
        valid: { status: 'verified', expiresAt: '2031-01-01' },
      },
      { path: `/v1/grants/${id}/cancel`, token: admin, valid: { reason: 'Fuzz' } },
    ];
    await fuzzBodies({
      routes,
      hostile: hostileValue,
      request: (route) => h.api().post(route.path).set(auth(route.token)),
      count: () => eventCount(id),
      numRuns: 30,
    });
  }, 300_000);

  it('queries of GET /v1/grants: 200 or a 400 problem, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('status', 'asset', 'limit', 'cursor', 'founder', 'x'),
          queryValue,
          { maxKeys: 4 },
        ),
        async (query) => {
          const response = await h.api().get('/v1/grants').query(query).set(auth(admin));
          expectProblemOrSuccess(response);
          expect([200, 400]).toContain(response.status);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('If-Match and Idempotency-Key headers: never 5xx, a refused request appends nothing', async () => {
    const id = await awardedGrant();
    await fc.assert(
      fc.asyncProperty(headerValue, headerValue, fc.boolean(), async (match, key, both) => {
        const before = await eventCount(id);
        let call = h.api().post(`/v1/grants/${id}/kyc`).set(auth(admin)).set('if-match', match);
        if (both) call = call.set('idempotency-key', key);
        const response = await call.send({ status: 'expired' });
        expectProblemOrSuccess(response);
        if (response.status >= 400) expect(await eventCount(id)).toBe(before);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('path ids: 404/403 problems for anything but an existing grant, never 5xx', async () => {
    const routes: { method: 'get' | 'post'; path: (id: string) => string; token: string }[] = [
      { method: 'get', path: (id) => `/v1/grants/${id}`, token: founder.token },
      {
        method: 'post',
        path: (id) => `/v1/grants/${id}/acceptance-challenge`,
        token: founder.token,
      },
      { method: 'post', path: (id) => `/v1/grants/${id}/cancel`, token: admin },
    ];
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(segment, async (raw) => {
          const before = await eventCount(raw);
          const call = h
            .api()
            [route.method](route.path(encodeURIComponent(raw)))
            .set(auth(route.token));
          const response =
            route.method === 'post' ? await call.send({ reason: 'Fuzz' }) : await call;
          expectProblemOrSuccess(response);
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(await eventCount(raw)).toBe(before);
        }),
        { numRuns: 30 },
      );
    }
  }, 120_000);
});
