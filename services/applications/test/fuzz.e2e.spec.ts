import { applicationBody, type Harness, startHarness } from './harness';
import { bearer, fuzzBodies, hostileValues } from '@lib/testing';

/** Values a careless or hostile client might send: wrong types, huge and unicode strings, deep nesting. */
const hostileValue = hostileValues([
  '',
  ' ',
  '\u0000',
  '\u202e',
  '💸'.repeat(2000),
  '1e309',
  '-1',
  '0.0000001',
  'NaN',
]);

describe('fuzzing every mutating route with malformed bodies', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  let admin: string;
  let reviewer: string;
  const reviewerSub = `rev-fuzz-${Date.now()}`;
  const auth = bearer;

  const eventCount = async () =>
    Number((await h.pool.query('SELECT count(*) AS n FROM applications.events')).rows[0].n);

  beforeAll(async () => {
    h = await startHarness();
    founder = await h.signInFounder();
    admin = await h.staffToken(`admin-fuzz-${Date.now()}`, ['admin']);
    reviewer = await h.staffToken(reviewerSub, ['reviewer']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const applicationUnderReview = async () => ({
    draft: await h.draft(founder),
    underReview: await h.underReview(founder, admin, [reviewerSub]),
  });

  it('never answers 5xx, always problem+json on errors, and a rejected body appends nothing', async () => {
    const { draft, underReview } = await applicationUnderReview();
    const routes = [
      {
        method: 'post' as const,
        path: '/v1/applications',
        token: founder.token,
        valid: applicationBody(founder.accountId),
      },
      {
        method: 'patch' as const,
        path: `/v1/applications/${draft}`,
        token: founder.token,
        valid: { title: 'x'.repeat(10) },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${draft}/withdraw`,
        token: founder.token,
        valid: { reason: 'because' },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${underReview}/reviewers`,
        token: admin,
        valid: { reviewers: ['someone'] },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${underReview}/reviews`,
        token: reviewer,
        valid: {
          scores: { team: 1, technical: 2, impact: 3, ecosystemFit: 4 },
          recommendation: 'reject',
          comment: 'c',
          conflictOfInterest: false,
        },
      },
      {
        method: 'post' as const,
        path: `/v1/applications/${underReview}/decision`,
        token: admin,
        valid: { decision: 'reject', reason: 'r' },
      },
      {
        method: 'post' as const,
        path: '/v1/auth/near/challenge',
        token: founder.token,
        valid: { accountId: 'a.near' },
      },
      {
        method: 'post' as const,
        path: '/v1/auth/near/verify',
        token: founder.token,
        valid: { accountId: 'a.near' },
      },
    ];
    await fuzzBodies({
      routes,
      hostile: hostileValue,
      request: (route) => h.api()[route.method](route.path).set(auth(route.token)),
      count: eventCount,
      numRuns: 40,
    });
  }, 300_000);
});
