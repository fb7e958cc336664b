import { randomBytes } from 'node:crypto';
import { signDevToken } from '@lib/auth';
import { disbursementId } from '@lib/contracts';
import {
  assetEnv,
  auth,
  ensureResumed,
  eventually,
  type Harness,
  JWT_SECRET,
  startHarness,
  testAsset,
  upstream,
} from './harness';

type Caller =
  | 'founder'
  | 'reviewer'
  | 'admin'
  | 'treasurer'
  | 'adminTreasurer'
  | 'noToken'
  | 'expiredToken'
  | 'forgedSignature';

const CALLERS: Caller[] = [
  'founder',
  'reviewer',
  'admin',
  'treasurer',
  'adminTreasurer',
  'noToken',
  'expiredToken',
  'forgedSignature',
];

type Row = Record<Caller, number>;
const unauthenticated = { noToken: 401, expiredToken: 401, forgedSignature: 401 };
const treasurerOnly = (ok: number): Row => ({
  founder: 403,
  reviewer: 403,
  admin: 403,
  treasurer: ok,
  adminTreasurer: 409, // authorised, but the treasurer's call already changed it
  ...unauthenticated,
});
const staffReads: Row = {
  founder: 403,
  reviewer: 403,
  admin: 200,
  treasurer: 200,
  adminTreasurer: 200,
  ...unauthenticated,
};

/** What a route needs to exist before the callers try it. */
type Stage = 'none' | 'requested' | 'approved' | 'held' | 'failed' | 'paused';

interface Route {
  name: string;
  method: 'get' | 'post';
  path: (id: string) => string;
  body?: () => object;
  stage: Stage;
  expected: Row;
  /** Callers whose cells change state: run after every other caller, in this order. */
  runsLast?: Caller[];
}

const ASSET = testAsset();

describe('authorization: every route × every caller', () => {
  let h: Harness;
  let up: ReturnType<typeof upstream>;
  const tokens = {} as Record<Caller, string | undefined>;

  const routes: Route[] = [
    {
      name: 'GET /v1/disbursements',
      method: 'get',
      path: () => '/v1/disbursements',
      stage: 'none',
      expected: staffReads,
    },
    {
      name: 'GET /v1/disbursements/{id}',
      method: 'get',
      path: (id) => `/v1/disbursements/${id}`,
      stage: 'requested',
      expected: staffReads,
    },
    {
      name: 'POST /v1/disbursements/{id}/approve',
      method: 'post',
      path: (id) => `/v1/disbursements/${id}/approve`,
      body: () => ({ comment: 'ok' }),
      stage: 'requested',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
    {
      name: 'POST /v1/disbursements/{id}/hold',
      method: 'post',
      path: (id) => `/v1/disbursements/${id}/hold`,
      body: () => ({ reason: 'check' }),
      stage: 'approved',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
    {
      name: 'POST /v1/disbursements/{id}/release',
      method: 'post',
      path: (id) => `/v1/disbursements/${id}/release`,
      body: () => ({}),
      stage: 'held',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
    {
      name: 'POST /v1/disbursements/{id}/cancel',
      method: 'post',
      path: (id) => `/v1/disbursements/${id}/cancel`,
      body: () => ({ reason: 'no' }),
      stage: 'approved',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
    {
      name: 'POST /v1/disbursements/{id}/retry',
      method: 'post',
      path: (id) => `/v1/disbursements/${id}/retry`,
      body: () => ({}),
      stage: 'failed',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
    {
      name: 'GET /v1/treasury',
      method: 'get',
      path: () => '/v1/treasury',
      stage: 'none',
      expected: staffReads,
    },
    {
      name: 'POST /v1/treasury/runs',
      method: 'post',
      path: () => '/v1/treasury/runs',
      body: () => ({}),
      stage: 'none',
      expected: { ...treasurerOnly(200), adminTreasurer: 200 },
    },
    {
      name: 'POST /v1/treasury/pause',
      method: 'post',
      path: () => '/v1/treasury/pause',
      body: () => ({ reason: 'matrix' }),
      stage: 'none',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
    {
      name: 'POST /v1/treasury/resume',
      method: 'post',
      path: () => '/v1/treasury/resume',
      body: () => ({}),
      stage: 'paused',
      expected: treasurerOnly(200),
      runsLast: ['treasurer', 'adminTreasurer'],
    },
  ];

  async function at(stage: Stage): Promise<string> {
    if (stage === 'none') return '';
    if (stage === 'paused') {
      await ensureResumed(h);
      const t = await h.treasurer();
      await h.api().post('/v1/treasury/pause').set(auth(t.token)).send({}).expect(200);
      return '';
    }
    const grant = await up.activateGrant({ asset: ASSET, amounts: ['5000000'] });
    await up.kyc(grant.grantId, 'verified');
    await up.acceptMilestone(grant, 1, '5000000');
    const id = disbursementId(grant.grantId, 1);
    const t = await h.treasurer();
    await eventually(async () => {
      const res = await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token));
      return res.status === 200 ? true : undefined;
    });
    if (stage === 'requested') return id;
    await h.api().post(`/v1/disbursements/${id}/approve`).set(auth(t.token)).send({}).expect(200);
    if (stage === 'approved') return id;
    if (stage === 'held') {
      await h
        .api()
        .post(`/v1/disbursements/${id}/hold`)
        .set(auth(t.token))
        .send({ reason: 'x' })
        .expect(200);
      return id;
    }
    const run = await h.api().post('/v1/treasury/runs').set(auth(t.token)).send({}).expect(200);
    expect(run.body.released).toContainEqual({ id, attempt: 1 });
    await up.payoutFailed(id, 1);
    await eventually(async () => {
      const res = await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token));
      return res.body.status === 'failed' ? true : undefined;
    });
    return id;
  }

  beforeAll(async () => {
    h = await startHarness({
      env: assetEnv([{ symbol: ASSET, threshold: '1000', limit: '100000' }]),
    });
    up = upstream(h);
    await ensureResumed(h);
    const suffix = randomBytes(3).toString('hex');
    tokens.founder = await h.staffToken(`founder-${suffix}.near`, ['founder']);
    tokens.reviewer = await h.staffToken(`reviewer-${suffix}`, ['reviewer']);
    tokens.admin = await h.staffToken(`admin-${suffix}`, ['admin']);
    tokens.treasurer = await h.staffToken(`treasurer-${suffix}`, ['treasurer']);
    tokens.adminTreasurer = await h.staffToken(`admin-treasurer-${suffix}`, ['admin', 'treasurer']);
    tokens.noToken = undefined;
    tokens.expiredToken = await signDevToken(
      { sub: `treasurer-${suffix}`, roles: ['treasurer'], ttl: 60 },
      JWT_SECRET,
      {
        issuer: h.config.AUTH_ISSUER,
        audience: h.config.AUTH_AUDIENCE,
        now: new Date(Date.now() - 3600_000),
      },
    );
    tokens.forgedSignature = await signDevToken(
      { sub: `treasurer-${suffix}`, roles: ['treasurer', 'admin'], ttl: 600 },
      'an-attacker-secret-0123456789-0123456789',
      { issuer: h.config.AUTH_ISSUER, audience: h.config.AUTH_AUDIENCE },
    );
  }, 120_000);

  afterAll(async () => {
    await ensureResumed(h);
    await h?.close();
  });

  it.each(routes.map((route) => [route.name, route] as const))(
    '%s',
    async (_name, route) => {
      const id = await at(route.stage);
      const last = route.runsLast ?? [];
      const order = [...CALLERS.filter((c) => !last.includes(c)), ...last];
      const actual = {} as Row;
      for (const caller of order) {
        let call = h.api()[route.method](route.path(id));
        const token = tokens[caller];
        if (token) call = call.set(auth(token));
        const response = route.body ? await call.send(route.body()) : await call;
        actual[caller] = response.status;
        if (response.status >= 400) {
          expect(response.headers['content-type']).toContain('application/problem+json');
        }
      }
      expect(actual).toEqual(route.expected);
    },
    60_000,
  );
});
