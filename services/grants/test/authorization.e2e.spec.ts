import { randomBytes } from 'node:crypto';
import {
  type MatrixRoute,
  ownerAndOtherFounder,
  runAuthorizationRow,
  tokensPerRole,
} from '@lib/testing';
import { auth, type Harness, type NearAccount, startHarness } from './harness';

type Caller =
  | 'anonymous'
  | 'founderOwner'
  | 'otherFounder'
  | 'reviewer'
  | 'admin'
  | 'treasurer'
  | 'expiredToken'
  | 'forgedSignature'
  | 'staffTokenAsOwner';

const CALLERS: Caller[] = [
  'anonymous',
  'founderOwner',
  'otherFounder',
  'reviewer',
  'admin',
  'treasurer',
  'expiredToken',
  'forgedSignature',
  'staffTokenAsOwner',
];

type Row = Record<Caller, number>;
// A staff-issuer token claiming `founder` with the owner's sub is no founder (only NEAR sign-in
// makes one): it keeps no role, so every route refuses it.
const unauthenticated = {
  anonymous: 401,
  expiredToken: 401,
  forgedSignature: 401,
  staffTokenAsOwner: 403,
};
/** Founder routes on one grant: the owner; another founder is told there is no such grant. */
const ownerOnly = (ok: number): Row => ({
  founderOwner: ok,
  otherFounder: 404,
  reviewer: 403,
  admin: 403,
  treasurer: 403,
  ...unauthenticated,
});
const adminOnly = (ok: number): Row => ({
  founderOwner: 403,
  otherFounder: 403,
  reviewer: 403,
  admin: ok,
  treasurer: 403,
  ...unauthenticated,
});

interface Grant {
  id: string;
  payout: NearAccount;
  next: NearAccount;
}

type Stage = 'awarded' | 'change_requested';

/** A route's body is built per call (a proof needs a fresh challenge each time). */
type Route = MatrixRoute<Caller, Stage, (grant: Grant) => Promise<object>>;

describe('authorization: every grants route × every caller', () => {
  let h: Harness;
  const tokens = {} as Record<Caller, string | undefined>;
  let owner: string;

  const challenge = async (path: string, body: object = {}) =>
    (await h.api().post(path).set(auth(tokens.founderOwner!)).send(body).expect(200)).body;

  const routes: Route[] = [
    {
      name: 'GET /v1/grants',
      method: 'get',
      path: () => '/v1/grants',
      stage: 'awarded',
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
      name: 'GET /v1/grants/{id}',
      method: 'get',
      path: (id) => `/v1/grants/${id}`,
      stage: 'awarded',
      expected: {
        founderOwner: 200,
        otherFounder: 404,
        reviewer: 200,
        admin: 200,
        treasurer: 200,
        ...unauthenticated,
      },
    },
    {
      name: 'POST /v1/grants/{id}/acceptance-challenge',
      method: 'post',
      path: (id) => `/v1/grants/${id}/acceptance-challenge`,
      body: async () => ({}),
      stage: 'awarded',
      expected: ownerOnly(200),
    },
    {
      name: 'POST /v1/grants/{id}/accept',
      method: 'post',
      path: (id) => `/v1/grants/${id}/accept`,
      body: async (grant) =>
        h.sign(grant.payout, await challenge(`/v1/grants/${grant.id}/acceptance-challenge`)),
      stage: 'awarded',
      expected: ownerOnly(200),
      runsLast: 'founderOwner',
    },
    {
      name: 'POST /v1/grants/{id}/payout-account-challenge',
      method: 'post',
      path: (id) => `/v1/grants/${id}/payout-account-challenge`,
      body: async (grant) => ({ accountId: grant.next.accountId }),
      stage: 'awarded',
      expected: ownerOnly(200),
    },
    {
      name: 'POST /v1/grants/{id}/payout-account',
      method: 'post',
      path: (id) => `/v1/grants/${id}/payout-account`,
      body: async (grant) =>
        h.sign(
          grant.next,
          await challenge(`/v1/grants/${grant.id}/payout-account-challenge`, {
            accountId: grant.next.accountId,
          }),
        ),
      stage: 'awarded',
      expected: ownerOnly(200),
      runsLast: 'founderOwner',
    },
    {
      name: 'POST /v1/grants/{id}/payout-account/approve',
      method: 'post',
      path: (id) => `/v1/grants/${id}/payout-account/approve`,
      body: async (grant) => ({ payoutAccount: grant.next.accountId }),
      stage: 'change_requested',
      expected: adminOnly(200),
      runsLast: 'admin',
    },
    {
      name: 'POST /v1/grants/{id}/kyc',
      method: 'post',
      path: (id) => `/v1/grants/${id}/kyc`,
      body: async () => ({ status: 'verified', expiresAt: '2031-01-31' }),
      stage: 'awarded',
      expected: adminOnly(200),
      runsLast: 'admin',
    },
    {
      name: 'POST /v1/grants/{id}/cancel',
      method: 'post',
      path: (id) => `/v1/grants/${id}/cancel`,
      body: async () => ({ reason: 'Matrix' }),
      stage: 'awarded',
      expected: adminOnly(200),
      runsLast: 'admin',
    },
  ];

  async function grantAt(stage: Stage): Promise<Grant> {
    const next = h.nearAccount('next');
    const { id, payout } = await h.awardedGrant({ accountId: owner, token: tokens.founderOwner! });
    const grant = { id, payout, next };
    if (stage === 'change_requested') {
      const issued = await challenge(`/v1/grants/${id}/payout-account-challenge`, {
        accountId: next.accountId,
      });
      await h
        .api()
        .post(`/v1/grants/${id}/payout-account`)
        .set(auth(tokens.founderOwner!))
        .send(await h.sign(next, issued))
        .expect(200);
    }
    return grant;
  }

  beforeAll(async () => {
    h = await startHarness();
    const founders = await ownerAndOtherFounder(() => h.signInFounder());
    owner = founders.owner;
    Object.assign(tokens, founders.tokens);
    Object.assign(tokens, await tokensPerRole(h.staffToken, ['reviewer', 'admin', 'treasurer']));
    tokens.anonymous = undefined;
    tokens.expiredToken = await h.expiredStaffToken(`admin-${randomBytes(3).toString('hex')}`, [
      'admin',
    ]);
    tokens.staffTokenAsOwner = await h.staffToken(owner, ['founder']);
    tokens.forgedSignature = await h.forgedStaffToken(owner, ['founder', 'admin']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it.each(routes.map((route) => [route.name, route] as const))(
    '%s',
    async (_name, route) => {
      const grant = await grantAt(route.stage);
      const before = await h.pool.query(
        'SELECT count(*)::int AS n FROM grants.events WHERE stream_id = $1',
        [`grant-${grant.id}`],
      );
      const actual = await runAuthorizationRow({
        callers: CALLERS,
        runsLast: route.runsLast,
        call: async (caller) => {
          if (caller === route.runsLast) {
            // every refused caller before it changed nothing
            const now = await h.pool.query(
              'SELECT count(*)::int AS n FROM grants.events WHERE stream_id = $1',
              [`grant-${grant.id}`],
            );
            expect(now.rows[0].n).toBe(before.rows[0].n);
          }
          let call = h.api()[route.method](route.path(grant.id));
          const token = tokens[caller];
          if (token) call = call.set(auth(token));
          const response = route.body ? await call.send(await route.body(grant)) : await call;
          return { status: response.status, headers: response.headers };
        },
      });
      expect(actual).toEqual(route.expected);
    },
    60_000,
  );
});
