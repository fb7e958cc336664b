import { randomBytes } from 'node:crypto';
import { bearer, type MatrixRoute, runAuthorizationRow } from '@lib/testing';
import { type Harness, newGrant, startHarness } from './harness';

type Caller =
  | 'anonymous'
  | 'ownerFounder'
  | 'otherFounder'
  | 'reviewer'
  | 'admin'
  | 'treasurer'
  | 'ownerAlsoReviewer'
  | 'expiredToken'
  | 'forgedSignature';

const CALLERS: Caller[] = [
  'anonymous',
  'ownerFounder',
  'otherFounder',
  'reviewer',
  'admin',
  'treasurer',
  'ownerAlsoReviewer',
  'expiredToken',
  'forgedSignature',
];

type Stage = 'pending' | 'submitted';

type Route = MatrixRoute<Caller, Stage, object>;

const unauthenticated = { anonymous: 401, expiredToken: 401, forgedSignature: 401 };

const ROUTES: Route[] = [
  {
    name: 'GET /v1/grants/{id}/milestones',
    method: 'get',
    path: (id) => `/v1/grants/${id}/milestones`,
    stage: 'pending',
    expected: {
      ...unauthenticated,
      ownerFounder: 200,
      otherFounder: 403,
      reviewer: 200,
      admin: 200,
      treasurer: 200,
      ownerAlsoReviewer: 200,
    },
  },
  {
    name: 'POST /v1/grants/{id}/milestones/{n}/submissions',
    method: 'post',
    path: (id) => `/v1/grants/${id}/milestones/1/submissions`,
    body: { summary: 'Done', evidenceUrls: ['https://example.org/report'] },
    stage: 'pending',
    expected: {
      ...unauthenticated,
      ownerFounder: 201,
      otherFounder: 403,
      reviewer: 403,
      admin: 403,
      treasurer: 403,
      // a staff token whose sub is the founder's account is not the founder (issuer, sub)
      ownerAlsoReviewer: 403,
    },
  },
  {
    name: 'POST /v1/grants/{id}/milestones/{n}/review',
    method: 'post',
    path: (id) => `/v1/grants/${id}/milestones/1/review`,
    body: { decision: 'accept' },
    stage: 'submitted',
    expected: {
      ...unauthenticated,
      ownerFounder: 403,
      otherFounder: 403,
      reviewer: 200,
      admin: 200,
      treasurer: 403,
      // separation of duties: the grant's founder never reviews it, whatever roles they hold
      ownerAlsoReviewer: 403,
    },
  },
];

describe('authorization: every route × every caller (exact statuses)', () => {
  let h: Harness;
  const tokens = {} as Record<Caller, string | undefined>;
  const grant = () => newGrant();
  let founder: { grantId: string; founder: string } = grant();

  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const auth = bearer;

  /** A fresh grant of a fresh founder with milestone 1 at `stage`; every caller's token for it. */
  async function grantAt(stage: Stage): Promise<string> {
    founder = grant();
    const hex = () => randomBytes(3).toString('hex');
    tokens.anonymous = undefined;
    tokens.ownerFounder = await h.token(founder.founder, ['founder']);
    tokens.otherFounder = await h.token(`other-${hex()}.test.near`, ['founder']);
    tokens.reviewer = await h.token(`rev-${hex()}`, ['reviewer']);
    tokens.admin = await h.token(`admin-${hex()}`, ['admin']);
    tokens.treasurer = await h.token(`treasurer-${hex()}`, ['treasurer']);
    tokens.ownerAlsoReviewer = await h.token(founder.founder, ['founder', 'reviewer']);
    tokens.expiredToken = await h.staff.expired(founder.founder, ['founder', 'admin']);
    tokens.forgedSignature = await h.staff.forged(founder.founder, ['founder', 'admin']);
    await h.activateGrant(founder);
    if (stage === 'submitted') {
      await h
        .api()
        .post(`/v1/grants/${founder.grantId}/milestones/1/submissions`)
        .set(auth(tokens.ownerFounder))
        .send({ summary: 'Done', evidenceUrls: ['https://example.org/report'] })
        .expect(201);
    }
    return founder.grantId;
  }

  it.each(ROUTES.map((route) => [route.name, route] as const))('%s', async (_name, route) => {
    const actual = await runAuthorizationRow({
      callers: CALLERS,
      call: async (caller) => {
        // Each cell on a fresh grant: a successful cell changes state.
        const grantId = await grantAt(route.stage);
        let call = h.api()[route.method](route.path(grantId));
        const token = tokens[caller];
        if (token) call = call.set(auth(token));
        return route.body ? call.send(route.body) : call;
      },
    });
    expect(actual).toEqual(route.expected);
  });
});
