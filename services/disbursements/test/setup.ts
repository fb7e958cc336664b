import type request from 'supertest';
import { Pool } from 'pg';
import { disbursementId } from '@lib/contracts';
import {
  assetEnv,
  auth,
  databaseUrl,
  ensureResumed,
  eventually,
  type Harness,
  startHarness,
  upstream,
} from './harness';

// What every disbursements e2e spec does around its tests: the service and gateway started once
// per describe with a policy for the run's own tokens, a pool on the test database, and the
// shared treasury switch left on before and after.

export type Upstream = ReturnType<typeof upstream>;

/** What a spec gets once the service is up. */
export interface Suite {
  h: Harness;
  up: Upstream;
  pool: Pool;
}

/** Whole units of a 6-decimal test token, in base units. */
export const units = (n: number) => (BigInt(n) * 1_000_000n).toString();

/**
 * Starts the harness in `beforeAll` (policy `threshold` / `limit` in whole units for each of
 * `assets`) and stops it in `afterAll`. `started` runs once it is up and resumed; what it returns
 * runs first in `afterAll`.
 */
export function disbursementsSuite(
  options: {
    assets: string[];
    threshold?: string;
    limit?: string;
    env?: Record<string, string>;
    replicas?: number;
  },
  started: (suite: Suite) => Promise<void | (() => Promise<void>)> | void,
): void {
  let suite: Suite | undefined;
  let stop: void | (() => Promise<void>);
  beforeAll(async () => {
    const { threshold = '1000', limit = '100000' } = options;
    const h = await startHarness({
      replicas: options.replicas,
      env: assetEnv(
        options.assets.map((symbol) => ({ symbol, threshold, limit })),
        options.env,
      ),
    });
    suite = { h, up: upstream(h), pool: new Pool({ connectionString: databaseUrl, max: 2 }) };
    await ensureResumed(h);
    stop = await started(suite);
  }, 120_000);
  afterAll(async () => {
    await stop?.();
    if (suite) await ensureResumed(suite.h);
    await suite?.pool.end();
    await suite?.h.close();
  });
}

/** A POST as the holder of `token` (add `.expect(…)`, or more headers). */
export const post = (h: Harness, path: string, token: string, body: object = {}): request.Test =>
  h.api().post(path).set(auth(token)).send(body);

type Body = Record<string, unknown>;

/**
 * The disbursement as `token` reads it, once it exists and `until` holds for it: a predicate, or
 * fields it must have (consumers catch up asynchronously).
 */
export const disbursementWhen = (
  h: Harness,
  id: string,
  token: string,
  until: Body | ((body: Body) => boolean) = {},
) => {
  const holds =
    typeof until === 'function'
      ? until
      : (body: Body) => Object.entries(until).every(([key, value]) => body[key] === value);
  return eventually(async () => {
    const res = await h.api().get(`/v1/disbursements/${id}`).set(auth(token));
    return res.status === 200 && holds(res.body as Body) ? res.body : undefined;
  });
};

/**
 * The disbursement of a fresh active grant with one tranche of `amount` (base units) accepted,
 * once a new treasurer can read it; KYC verified unless `kyc` is false.
 */
export async function acceptedDisbursement(
  h: Harness,
  grant: { asset: string; amount: string; kyc?: boolean },
) {
  const up = upstream(h);
  const active = await up.activateGrant({ asset: grant.asset, amounts: [grant.amount] });
  if (grant.kyc !== false) await up.kyc(active.grantId, 'verified');
  const { acceptedBy } = await up.acceptMilestone(active, 1, grant.amount);
  const id = disbursementId(active.grantId, 1);
  const treasurer = await h.treasurer();
  const body = await disbursementWhen(h, id, treasurer.token);
  return { grant: active, id, acceptedBy, body, treasurer };
}
