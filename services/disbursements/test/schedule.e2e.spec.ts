import { disbursementId } from '@lib/contracts';
import {
  assetEnv,
  auth,
  ensureResumed,
  eventually,
  type Harness,
  startHarness,
  testAsset,
  upstream,
} from './harness';

const ASSET = testAsset();

describe('the scheduled treasury run (TREASURY_RUN_INTERVAL_SECONDS)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: assetEnv([{ symbol: ASSET, threshold: '1000', limit: '100000' }], {
        TREASURY_RUN_INTERVAL_SECONDS: '1',
      }),
    });
    await ensureResumed(h);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('releases an approved disbursement without anyone calling the run', async () => {
    const up = upstream(h);
    const grant = await up.activateGrant({ asset: ASSET, amounts: ['2000000'] });
    await up.kyc(grant.grantId, 'verified');
    await up.acceptMilestone(grant, 1, '2000000');
    const id = disbursementId(grant.grantId, 1);
    const t = await h.treasurer();
    await eventually(async () => {
      const res = await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token));
      return res.status === 200 ? true : undefined;
    });
    await h.api().post(`/v1/disbursements/${id}/approve`).set(auth(t.token)).send({}).expect(200);
    const released = await eventually(async () => {
      const res = await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token));
      return res.body.status === 'released' ? res.body : undefined;
    });
    expect(released.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'pending' }),
    ]);
  });
});
