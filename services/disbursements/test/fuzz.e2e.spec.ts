import fc from 'fast-check';
import {
  expectProblemOrSuccess,
  headerValue,
  hostileValues,
  mutatedBody,
  sendFuzzedBody,
} from '@lib/testing';
import type { Pool } from 'pg';
import { disbursementId } from '@lib/contracts';
import { auth, ensureResumed, type Harness, testAsset } from './harness';
import { disbursementsSuite, disbursementWhen } from './setup';

/** Values a careless or hostile client might send. */
const hostileValue = hostileValues([
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\u202e',
  '💸'.repeat(2100),
  '1e309',
  '-1',
  'NaN',
]);

const mutated = (valid: Record<string, unknown>) => mutatedBody(valid, hostileValue);

const header = headerValue({
  maxLength: 60,
  nearMisses: ['"1"', 'W/"2"', '*', '"-1"', '"99999999999"', 'x'.repeat(300), ''],
});

const ASSET = testAsset();

describe('fuzzing every route: bodies, queries and headers', () => {
  let h: Harness;
  let pool: Pool;
  let treasurer: string;
  let admin: string;
  let id: string;

  const eventCount = async () =>
    Number((await pool.query('SELECT count(*) AS n FROM disbursements.events')).rows[0].n);

  disbursementsSuite({ assets: [ASSET] }, async (suite) => {
    ({ h, pool } = suite);
    treasurer = (await h.treasurer()).token;
    admin = await h.staffToken('admin-fuzz', ['admin']);
    const grant = await suite.up.activateGrant({ asset: ASSET, amounts: ['5000000'] });
    await suite.up.acceptMilestone(grant, 1, '5000000');
    id = disbursementId(grant.grantId, 1);
    await disbursementWhen(h, id, treasurer);
  });

  it('mutations: never 5xx, problem+json on errors, a rejected request appends nothing', async () => {
    const routes = [
      { path: () => `/v1/disbursements/${id}/approve`, valid: { comment: 'ok' } },
      { path: () => `/v1/disbursements/${id}/hold`, valid: { reason: 'why' } },
      { path: () => `/v1/disbursements/${id}/release`, valid: { comment: 'fine' } },
      { path: () => `/v1/disbursements/${id}/cancel`, valid: { reason: 'why' } },
      { path: () => `/v1/disbursements/${id}/retry`, valid: {} },
      { path: () => '/v1/treasury/runs', valid: {} },
      { path: () => '/v1/treasury/pause', valid: { reason: 'why' } },
      { path: () => '/v1/treasury/resume', valid: {} },
    ];
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(
          mutated(route.valid),
          fc.boolean(),
          fc.option(header),
          fc.option(header),
          async (body, raw, ifMatch, idempotencyKey) => {
            const before = await eventCount();
            let call = h.api().post(route.path()).set(auth(treasurer));
            if (ifMatch !== null) call = call.set('if-match', ifMatch);
            if (idempotencyKey !== null) call = call.set('idempotency-key', idempotencyKey);
            const response = await sendFuzzedBody(call, body, raw);
            expectProblemOrSuccess(response);
            if (response.status >= 400) expect(await eventCount()).toBe(before);
            if (response.status < 300 && route.path().endsWith('/pause')) await ensureResumed(h);
          },
        ),
        { numRuns: 30 },
      );
    }
  }, 300_000);

  it('paths: malformed ids are 404 problems, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), async (raw) => {
        const res = await h
          .api()
          .get(`/v1/disbursements/${encodeURIComponent(raw)}`)
          .set(auth(admin));
        expectProblemOrSuccess(res);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('queries: never 5xx; unknown or bad parameters are 400 problems naming the field', async () => {
    const key = fc.constantFrom(
      'status',
      'grantId',
      'asset',
      'limit',
      'cursor',
      'extra',
      '__proto__',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          key,
          fc.oneof(
            fc.string({ maxLength: 120 }),
            fc.constantFrom('0', '101', '-1', '1e3', 'approved,nope', 'settled'),
          ),
        ),
        async (query) => {
          const res = await h.api().get('/v1/disbursements').query(query).set(auth(admin));
          expectProblemOrSuccess(res);
          if (res.status === 400) expect(res.body.errors.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
