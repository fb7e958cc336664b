import { randomBytes } from 'node:crypto';
import { staffTokens } from '@lib/testing';
import { auth, ensureResumed, type Harness, JWT_SECRET, testAsset } from './harness';
import {
  acceptedDisbursement,
  disbursementsSuite,
  disbursementWhen,
  post,
  type Upstream,
} from './setup';

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

/** A GET every staff role may make. */
const staffRead = (template: string, stage: Stage): Route => ({
  name: `GET ${template}`,
  method: 'get',
  path: (id) => template.replace('{id}', id),
  stage,
  expected: staffReads,
});

/** A POST only a treasurer may make; the treasurer's call changes state, so it runs last. */
const treasurerPost = (template: string, body: object, stage: Stage): Route => ({
  name: `POST ${template}`,
  method: 'post',
  path: (id) => template.replace('{id}', id),
  body: () => body,
  stage,
  expected: treasurerOnly(200),
  runsLast: ['treasurer', 'adminTreasurer'],
});

const ASSET = testAsset();

describe('authorization: every route × every caller', () => {
  let h: Harness;
  let up: Upstream;
  const tokens = {} as Record<Caller, string | undefined>;

  const routes: Route[] = [
    staffRead('/v1/disbursements', 'none'),
    staffRead('/v1/disbursements/{id}', 'requested'),
    treasurerPost('/v1/disbursements/{id}/approve', { comment: 'ok' }, 'requested'),
    treasurerPost('/v1/disbursements/{id}/hold', { reason: 'check' }, 'approved'),
    treasurerPost('/v1/disbursements/{id}/release', {}, 'held'),
    treasurerPost('/v1/disbursements/{id}/cancel', { reason: 'no' }, 'approved'),
    treasurerPost('/v1/disbursements/{id}/retry', {}, 'failed'),
    staffRead('/v1/treasury', 'none'),
    {
      name: 'POST /v1/treasury/runs',
      method: 'post',
      path: () => '/v1/treasury/runs',
      body: () => ({}),
      stage: 'none',
      expected: { ...treasurerOnly(200), adminTreasurer: 200 },
    },
    treasurerPost('/v1/treasury/pause', { reason: 'matrix' }, 'none'),
    treasurerPost('/v1/treasury/resume', {}, 'paused'),
  ];

  async function at(stage: Stage): Promise<string> {
    if (stage === 'none') return '';
    if (stage === 'paused') {
      await ensureResumed(h);
      const t = await h.treasurer();
      await post(h, '/v1/treasury/pause', t.token).expect(200);
      return '';
    }
    const { id, treasurer: t } = await acceptedDisbursement(h, { asset: ASSET, amount: '5000000' });
    if (stage === 'requested') return id;
    await post(h, `/v1/disbursements/${id}/approve`, t.token).expect(200);
    if (stage === 'approved') return id;
    if (stage === 'held') {
      await post(h, `/v1/disbursements/${id}/hold`, t.token, { reason: 'x' }).expect(200);
      return id;
    }
    const run = await post(h, '/v1/treasury/runs', t.token).expect(200);
    expect(run.body.released).toContainEqual({ id, attempt: 1 });
    await up.payoutFailed(id, 1);
    await disbursementWhen(h, id, t.token, { status: 'failed' });
    return id;
  }

  disbursementsSuite({ assets: [ASSET] }, async (suite) => {
    ({ h, up } = suite);
    const suffix = randomBytes(3).toString('hex');
    const minted = staffTokens({
      secret: JWT_SECRET,
      issuer: h.config.AUTH_ISSUER,
      audience: h.config.AUTH_AUDIENCE,
    });
    tokens.founder = await h.staffToken(`founder-${suffix}.near`, ['founder']);
    tokens.reviewer = await h.staffToken(`reviewer-${suffix}`, ['reviewer']);
    tokens.admin = await h.staffToken(`admin-${suffix}`, ['admin']);
    tokens.treasurer = await h.staffToken(`treasurer-${suffix}`, ['treasurer']);
    tokens.adminTreasurer = await h.staffToken(`admin-treasurer-${suffix}`, ['admin', 'treasurer']);
    tokens.noToken = undefined;
    tokens.expiredToken = await minted.expired(`treasurer-${suffix}`, ['treasurer']);
    tokens.forgedSignature = await minted.forged(`treasurer-${suffix}`, ['treasurer', 'admin']);
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
