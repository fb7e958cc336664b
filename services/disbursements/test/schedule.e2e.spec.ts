import { type Harness, testAsset } from './harness';
import { acceptedDisbursement, disbursementsSuite, disbursementWhen, post } from './setup';

const ASSET = testAsset();

describe('the scheduled treasury run (TREASURY_RUN_INTERVAL_SECONDS)', () => {
  let h: Harness;

  disbursementsSuite({ assets: [ASSET], env: { TREASURY_RUN_INTERVAL_SECONDS: '1' } }, (suite) => {
    ({ h } = suite);
  });

  it('releases an approved disbursement without anyone calling the run', async () => {
    const { id, treasurer: t } = await acceptedDisbursement(h, { asset: ASSET, amount: '2000000' });
    await post(h, `/v1/disbursements/${id}/approve`, t.token).expect(200);
    const released = await disbursementWhen(h, id, t.token, { status: 'released' });
    expect(released.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'pending' }),
    ]);
  });
});
