import { randomBytes } from 'node:crypto';
import { applicationBody, type Harness, reviewBody, startHarness } from './harness';
import {
  bearer,
  type MatrixRoute,
  ownerAndOtherFounder,
  runAuthorizationRow,
  tokensPerRole,
} from '@lib/testing';

type Caller =
  | 'founderOwner'
  | 'otherFounder'
  | 'reviewer'
  | 'admin'
  | 'treasurer'
  | 'noToken'
  | 'expiredToken'
  | 'forgedSignature';

const CALLERS: Caller[] = [
  'founderOwner',
  'otherFounder',
  'reviewer',
  'admin',
  'treasurer',
  'noToken',
  'expiredToken',
  'forgedSignature',
];

/** Expected status per caller; the authorised caller's cell is run last (it changes state). */
type Row = Record<Caller, number>;
const unauthenticated = { noToken: 401, expiredToken: 401, forgedSignature: 401 };
/** Only `caller` gets `ok`; every other signed-in caller 403. */
const only = (caller: 'founderOwner' | 'reviewer' | 'admin', ok: number): Row => ({
  founderOwner: 403,
  otherFounder: 403,
  reviewer: 403,
  admin: 403,
  treasurer: 403,
  ...unauthenticated,
  [caller]: ok,
});
const founderOnly = (ok: number): Row => only('founderOwner', ok);

type Stage = 'none' | 'draft' | 'submitted' | 'under_review' | 'reviewed';

type Route = MatrixRoute<Caller, Stage>;

describe('authorization: every route × every caller', () => {
  let h: Harness;
  const tokens = {} as Record<Caller, string | undefined>;
  let owner: string;
  const reviewerSub = `rev-${randomBytes(3).toString('hex')}`;
  const secondReviewerSub = `rev2-${randomBytes(3).toString('hex')}`;
  let secondReviewer: string;

  const routes: Route[] = [
    {
      name: 'POST /v1/auth/near/challenge',
      method: 'post',
      path: () => '/v1/auth/near/challenge',
      body: () => ({ accountId: 'someone.test.near' }),
      stage: 'none',
      expected: Object.fromEntries(CALLERS.map((c) => [c, 200])) as Row,
    },
    {
      name: 'POST /v1/auth/near/verify (nonce never issued)',
      method: 'post',
      path: () => '/v1/auth/near/verify',
      body: () => ({
        accountId: 'someone.test.near',
        publicKey: 'ed25519:8hSHprDq2StXwMtNd43wDTXQYsjXcD4MJTXQYsjXcc7F',
        signature: Buffer.alloc(64, 1).toString('base64'),
        nonce: randomBytes(32).toString('base64'),
        message: 'Sign in',
        recipient: 'incubator.near',
      }),
      stage: 'none',
      expected: Object.fromEntries(CALLERS.map((c) => [c, 401])) as Row,
    },
    {
      name: 'POST /v1/applications',
      method: 'post',
      path: () => '/v1/applications',
      body: () => applicationBody(owner),
      stage: 'none',
      expected: { ...founderOnly(201), otherFounder: 201 },
    },
    {
      name: 'GET /v1/applications',
      method: 'get',
      path: () => '/v1/applications',
      stage: 'none',
      expected: {
        founderOwner: 200,
        otherFounder: 200,
        reviewer: 200,
        admin: 200,
        treasurer: 200,
        ...unauthenticated,
      },
    },
    {
      name: 'GET /v1/applications/{id}',
      method: 'get',
      path: (id) => `/v1/applications/${id}`,
      stage: 'draft',
      expected: {
        founderOwner: 200,
        otherFounder: 403,
        reviewer: 200,
        admin: 200,
        treasurer: 200,
        ...unauthenticated,
      },
    },
    {
      name: 'PATCH /v1/applications/{id}',
      method: 'patch',
      path: (id) => `/v1/applications/${id}`,
      body: () => ({ title: 'A better title' }),
      stage: 'draft',
      expected: founderOnly(200),
      runsLast: 'founderOwner',
    },
    {
      name: 'POST /v1/applications/{id}/submit',
      method: 'post',
      path: (id) => `/v1/applications/${id}/submit`,
      stage: 'draft',
      expected: founderOnly(200),
      runsLast: 'founderOwner',
    },
    {
      name: 'POST /v1/applications/{id}/withdraw',
      method: 'post',
      path: (id) => `/v1/applications/${id}/withdraw`,
      body: () => ({ reason: 'Pivoting' }),
      stage: 'draft',
      expected: founderOnly(200),
      runsLast: 'founderOwner',
    },
    {
      name: 'POST /v1/applications/{id}/reviewers',
      method: 'post',
      path: (id) => `/v1/applications/${id}/reviewers`,
      body: () => ({ reviewers: [reviewerSub, secondReviewerSub] }),
      stage: 'submitted',
      expected: only('admin', 200),
      runsLast: 'admin',
    },
    {
      name: 'POST /v1/applications/{id}/reviews',
      method: 'post',
      path: (id) => `/v1/applications/${id}/reviews`,
      body: () => ({
        scores: { team: 4, technical: 4, impact: 4, ecosystemFit: 4 },
        recommendation: 'approve',
        comment: 'solid',
        conflictOfInterest: false,
      }),
      stage: 'under_review',
      expected: only('reviewer', 200),
      runsLast: 'reviewer',
    },
    {
      name: 'POST /v1/applications/{id}/decision',
      method: 'post',
      path: (id) => `/v1/applications/${id}/decision`,
      body: () => ({ decision: 'reject', reason: 'Out of scope' }),
      stage: 'reviewed',
      expected: only('admin', 200),
      runsLast: 'admin',
    },
  ];

  const auth = bearer;

  async function applicationAt(stage: Stage): Promise<string> {
    if (stage === 'none') return '00000000-0000-4000-8000-000000000000';
    const founder = { accountId: owner, token: tokens.founderOwner! };
    if (stage === 'draft') return h.draft(founder);
    if (stage === 'submitted') return h.submitted(founder);
    const id = await h.underReview(founder, tokens.admin!, [reviewerSub, secondReviewerSub]);
    if (stage === 'under_review') return id;
    for (const token of [tokens.reviewer!, secondReviewer]) {
      await h.act(id, 'reviews', token, reviewBody('reject', 2, 'not a fit')).expect(200);
    }
    return id;
  }

  beforeAll(async () => {
    h = await startHarness();
    const founders = await ownerAndOtherFounder(() => h.signInFounder());
    owner = founders.owner;
    Object.assign(tokens, founders.tokens);
    tokens.reviewer = await h.staffToken(reviewerSub, ['reviewer']);
    secondReviewer = await h.staffToken(secondReviewerSub, ['reviewer']);
    Object.assign(tokens, await tokensPerRole(h.staffToken, ['admin', 'treasurer']));
    tokens.noToken = undefined;
    tokens.expiredToken = await h.staff.expired(owner, ['founder']);
    tokens.forgedSignature = await h.staff.forged(owner, ['founder', 'admin']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it.each(routes.map((route) => [route.name, route] as const))('%s', async (_name, route) => {
    const id = await applicationAt(route.stage);
    const actual = await runAuthorizationRow({
      callers: CALLERS,
      runsLast: route.runsLast,
      call: async (caller) => {
        let call = h.api()[route.method](route.path(id));
        const token = tokens[caller];
        if (token) call = call.set(auth(token));
        return route.body ? await call.send(route.body()) : await call;
      },
    });
    expect(actual).toEqual(route.expected);
  });
});
