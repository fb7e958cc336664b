import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expectProblemOrSuccess, headerValue } from '@lib/testing';
import { applicationBody, type Harness, startHarness } from './harness';

/** Printable ASCII (what an HTTP client can put in a header at all), including the odd cases. */
const headerText = (maxLength = 120) =>
  headerValue({
    maxLength,
    nearMisses: ['', ' ', '"', 'W/"', '*', '"1", "2"', '0', '-1', '1e3', '"999999999999"'],
  });

/** Characters a client may put in a request target without the client library refusing. */
const rawQueryChar = fc.constantFrom(
  ..."abcXYZ019-._~!$&'()*+,;=:@/?%[]{}|^`".split(''),
  '%00',
  '%zz',
  '%',
  '%E2%80%AE',
  '%F0%9F%92%B8',
  '%C0%AF',
);

const queryKey = fc.constantFrom(
  'status',
  'category',
  'reviewer',
  'createdFrom',
  'createdTo',
  'limit',
  'cursor',
  'status[]',
  'cursor[x]',
  '__proto__',
  'constructor[prototype]',
  'x',
);

const queryValue = fc.oneof(
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.string({ unit: rawQueryChar, maxLength: 30 }),
  fc.constantFrom('draft', 'draft,submitted', 'agents', '2026-01-01', '0', '100', '101', '-1'),
  // cursors: base64 of JSON positions that are almost right, and random base64
  fc
    .record({
      createdAt: fc.oneof(
        fc.constant('2026-01-01T00:00:00.000Z'),
        fc.constant('2026-02-30T00:00:00.000Z'),
        fc.integer(),
        fc.string({ maxLength: 30 }),
      ),
      id: fc.oneof(fc.uuid(), fc.constant('-'.repeat(36)), fc.string({ maxLength: 40 })),
    })
    .map((p) => encodeURIComponent(Buffer.from(JSON.stringify(p)).toString('base64'))),
  fc.base64String({ maxLength: 200 }).map(encodeURIComponent),
);

const rawQuery = fc.oneof(
  fc
    .array(fc.tuple(queryKey, queryValue), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  fc.string({ unit: rawQueryChar, maxLength: 60 }),
);

describe('fuzzing query strings, cursors and headers of every applications route', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  let admin: string;
  let reviewer: string;
  const reviewerSub = `rev-hfuzz-${randomUUID().slice(0, 8)}`;
  const adminSub = `admin-hfuzz-${randomUUID().slice(0, 8)}`;

  // Counted for this test's own callers only: other suites may write to the same tables meanwhile.
  const eventCount = async () =>
    Number(
      (
        await h.pool.query('SELECT count(*) AS n FROM applications.events WHERE actor = ANY($1)', [
          [founder.accountId, adminSub, reviewerSub],
        ])
      ).rows[0].n,
    );
  const challengeCount = async () =>
    Number(
      (
        await h.pool.query(
          'SELECT count(*) AS n FROM applications.signin_challenges WHERE account_id = ANY($1)',
          [['NOT VALID', 'a.near', founder.accountId]],
        )
      ).rows[0].n,
    );

  beforeAll(async () => {
    h = await startHarness();
    founder = await h.signInFounder();
    admin = await h.staffToken(adminSub, ['admin']);
    reviewer = await h.staffToken(reviewerSub, ['reviewer']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  /** Authorization header shapes: none, wrong scheme, broken, tampered, or someone's real token. */
  const authorization = (valid: string) =>
    fc.oneof(
      fc.constant(undefined),
      fc.constant(`Bearer ${valid}`),
      fc.constant(`bearer ${valid}`),
      fc.constant(`Bearer ${valid}x`),
      fc.constant(`Bearer ${valid} ${valid}`),
      fc.constant(`Basic ${Buffer.from('a:b').toString('base64')}`),
      fc.constantFrom('', 'Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer ...', 'Bearer e30.e30.'),
      fc.constant(`Bearer ${valid.split('.').slice(0, 2).join('.')}.`),
      headerText(300).map((t) => `Bearer ${t}`),
      headerText(),
    );

  const headers = (valid: string) =>
    fc.record(
      {
        authorization: authorization(valid),
        'if-match': headerText(),
        'idempotency-key': headerText(250),
        'x-correlation-id': fc.oneof(headerText(250), fc.uuid()),
      },
      { requiredKeys: [] },
    );

  const applications = async () => ({
    draft: await h.draft(founder),
    underReview: await h.underReview(founder, admin, [reviewerSub]),
  });

  it('never answers 5xx, errors are problem+json, and a refused request changes nothing', async () => {
    const { draft, underReview } = await applications();
    // Bodies are invalid on purpose (a bad field), so the headers and query are what is tried and
    // no fuzzed request can legitimately change state; the state must not change on any error.
    const routes = [
      { method: 'get' as const, path: '/v1/applications', token: founder.token },
      { method: 'get' as const, path: '/v1/applications', token: admin },
      { method: 'get' as const, path: `/v1/applications/${draft}`, token: founder.token },
      { method: 'get' as const, path: `/v1/applications/${underReview}`, token: reviewer },
      {
        method: 'post' as const,
        path: '/v1/applications',
        token: founder.token,
        body: applicationBody(founder.accountId, { category: 'not-a-category' }),
      },
      {
        method: 'patch' as const,
        path: `/v1/applications/${draft}`,
        token: founder.token,
        body: { title: '' },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${draft}/submit`,
        token: founder.token,
        body: {},
        ifMatchOnly: true,
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${draft}/withdraw`,
        token: founder.token,
        body: { reason: 5 },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${underReview}/reviewers`,
        token: admin,
        body: { reviewers: [] },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${underReview}/reviews`,
        token: reviewer,
        body: {
          scores: { team: 9 },
          recommendation: 'approve',
          comment: 'c',
          conflictOfInterest: false,
        },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${underReview}/decision`,
        token: admin,
        body: { decision: 'maybe' },
      },
      {
        method: 'post' as const,
        path: '/v1/auth/near/challenge',
        token: founder.token,
        body: { accountId: 'NOT VALID' },
      },
      {
        method: 'post' as const,
        path: '/v1/auth/near/verify',
        token: founder.token,
        body: { accountId: 'a.near' },
      },
    ];
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(rawQuery, headers(route.token), async (query, sent) => {
          const events = await eventCount();
          const challenges = await challengeCount();
          const target = query ? `${route.path}?${query}` : route.path;
          let call = h.api()[route.method](target);
          for (const [name, value] of Object.entries(sent)) {
            if (value !== undefined) call = call.set(name, value);
          }
          const response = 'body' in route ? await call.send(route.body) : await call;
          expectProblemOrSuccess(response);
          if (response.status >= 400) expect(typeof response.body.code).toBe('string');
          if ('body' in route) {
            // Every mutation here is invalid: whatever the headers, nothing was written.
            // (submit's body is valid, so only a wrong If-Match keeps it from running.)
            if (!route.ifMatchOnly || response.status >= 400) {
              expect(await eventCount()).toBe(events);
              expect(await challengeCount()).toBe(challenges);
            }
          }
        }),
        { numRuns: 60 },
      );
    }
  }, 600_000);
});
