import fc from 'fast-check';
import {
  bearer,
  expectProblemOrSuccess,
  headerValue as headerValues,
  fuzzBodies,
  hostileValues,
  ODD_STRINGS,
} from '@lib/testing';
import { Pool } from 'pg';
import { databaseUrl, type Harness, newGrant, startHarness } from './harness';

/** Values a careless or hostile client might send: wrong types, huge and odd strings, nesting. */
const hostileValue = hostileValues(
  [
    ...ODD_STRINGS,
    'http://example.org',
    'https://user:pw@example.org',
    'javascript:alert(1)',
    'reject',
    'accept',
  ],
  [
    fc.array(fc.constantFrom('https://example.org/a', 'ftp://x', '', 'https://'), {
      maxLength: 12,
    }),
  ],
);

/** Visible ASCII header values (what an HTTP client can send at all), plus some near-misses. */
const headerValue = headerValues();

/** Path segments: ids, numbers and junk (never `.`/`..`, which clients resolve away). */
const segment = fc
  .oneof(
    fc.uuid(),
    fc.integer({ min: -5, max: 40 }).map(String),
    fc.string({ minLength: 1, maxLength: 60 }),
    fc.constantFrom(
      '0',
      '01',
      '1.0',
      '1e1',
      '%00',
      'milestones',
      '00000000-0000-0000-0000-000000000000',
    ),
  )
  .filter((s) => s !== '.' && s !== '..')
  .map(encodeURIComponent);

describe('fuzzing every route: body, query, path parameters and headers', () => {
  let h: Harness;
  let pool: Pool;
  let grant: { grantId: string; founder: string };
  let founder: string;
  let reviewer: string;
  const auth = bearer;
  const submission = { summary: 'Done', evidenceUrls: ['https://example.org/report'] };

  /** Events of this grant's milestone streams (other suites may write other grants meanwhile). */
  const eventCount = async () =>
    Number(
      (
        await pool.query('SELECT count(*) AS n FROM milestones.events WHERE stream_id LIKE $1', [
          `milestone-${grant.grantId}-%`,
        ])
      ).rows[0].n,
    );

  beforeAll(async () => {
    h = await startHarness();
    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    grant = newGrant();
    founder = await h.token(grant.founder, ['founder']);
    reviewer = await h.token(`rev-fuzz-${Date.now()}`, ['reviewer']);
    await h.activateGrant(grant);
    // milestone 2 awaits review; milestone 1 stays pending for submissions
    await h
      .api()
      .post(`/v1/grants/${grant.grantId}/milestones/2/submissions`)
      .set(auth(founder))
      .send(submission)
      .expect(201);
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await h?.close();
  });

  it('bodies: never 5xx, always problem+json, and a refused body appends nothing', async () => {
    const routes = [
      {
        path: `/v1/grants/${grant.grantId}/milestones/1/submissions`,
        token: () => founder,
        valid: submission,
      },
      {
        path: `/v1/grants/${grant.grantId}/milestones/2/review`,
        token: () => reviewer,
        valid: { decision: 'reject', comment: 'Needs a demo' },
      },
    ];
    await fuzzBodies({
      routes,
      hostile: hostileValue,
      request: (route) => h.api().post(route.path).set(auth(route.token())),
      count: eventCount,
      numRuns: 60,
    });
  }, 300_000);

  it('path parameters: never 5xx, always problem+json, a refused request appends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(segment, fc.constant(grant.grantId)),
        segment,
        fc.constantFrom('submissions', 'review', 'list'),
        async (id, n, route) => {
          const before = await eventCount();
          const response =
            route === 'list'
              ? await h.api().get(`/v1/grants/${id}/milestones`).set(auth(reviewer))
              : await h
                  .api()
                  .post(`/v1/grants/${id}/milestones/${n}/${route}`)
                  .set(auth(route === 'review' ? reviewer : founder))
                  .send(route === 'review' ? { decision: 'reject', comment: 'x' } : submission);
          expectProblemOrSuccess(response);
          if (response.status >= 400) expect(await eventCount()).toBe(before);
        },
      ),
      { numRuns: 120 },
    );
  }, 300_000);

  it('query strings: never 5xx, always problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom('status', 'limit', 'cursor', '__proto__'),
            fc.string({ maxLength: 15 }),
          ),
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.constantFrom('pending', 'accepted,cancelled', 'pending,,', 'PENDING', ''),
            fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
          ),
          { maxKeys: 4 },
        ),
        async (query) => {
          const response = await h
            .api()
            .get(`/v1/grants/${grant.grantId}/milestones`)
            .query(query)
            .set(auth(founder));
          expectProblemOrSuccess(response);
          if (response.status === 200) expect(Array.isArray(response.body.items)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  }, 300_000);

  it('headers (If-Match, Idempotency-Key, content type): never 5xx, a refused request appends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(headerValue, { nil: undefined }),
        fc.option(headerValue, { nil: undefined }),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/problem+json',
        ),
        fc.constantFrom('submissions', 'review'),
        async (ifMatch, idempotencyKey, contentType, route) => {
          const before = await eventCount();
          let call = h
            .api()
            .post(`/v1/grants/${grant.grantId}/milestones/${route === 'review' ? 2 : 1}/${route}`)
            .set(auth(route === 'review' ? reviewer : founder))
            .set('content-type', contentType);
          if (ifMatch !== undefined) call = call.set('if-match', ifMatch);
          if (idempotencyKey !== undefined) call = call.set('idempotency-key', idempotencyKey);
          const body = route === 'review' ? { decision: 'reject', comment: 'x' } : submission;
          const response = await call.send(JSON.stringify(body));
          expectProblemOrSuccess(response);
          if (response.status >= 400) expect(await eventCount()).toBe(before);
        },
      ),
      { numRuns: 100 },
    );
  }, 300_000);
});
