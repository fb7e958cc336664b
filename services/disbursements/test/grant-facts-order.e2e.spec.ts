import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import {
  disbursementId,
  type GrantIntegrationEventData,
  integrationContracts,
  TOPICS,
} from '@lib/contracts';
import { IntegrationEventPublisher } from '@lib/messaging';
import { integrationEnvelope } from '@lib/testing';
import { auth, eventually, type Harness, testAsset, type TestGrant } from './harness';
import { disbursementsSuite, disbursementWhen, post, units, type Upstream } from './setup';

// A grant event whose first delivery was dead-lettered (never applied) is replayed after a newer
// event of the same grant stream was applied: the older event must not overwrite the newer fact.
// Events are produced here with their grant stream version, as the grants service's relay does.
const ASSET = testAsset();

describe('grant facts: an older grant event arriving late changes nothing', () => {
  let h: Harness;
  let up: Upstream;
  let pool: Pool;
  let publisher: IntegrationEventPublisher;

  disbursementsSuite({ assets: [ASSET] }, async (suite) => {
    ({ h, up, pool } = suite);
    publisher = new IntegrationEventPublisher(h.kafka, integrationContracts());
    await publisher.connect();
    return () => publisher.disconnect();
  });

  /** Publishes a grant event at `streamVersion` of the grant's stream and waits until it was consumed. */
  async function grantEvent(type: string, grantId: string, streamVersion: number, data: object) {
    const envelope = integrationEnvelope(type, grantId, data, { streamVersion });
    await publisher.publish(TOPICS.grant, envelope);
    await eventually(async () => {
      const { rowCount } = await pool.query(
        `SELECT 1 FROM disbursements.inbox WHERE consumer = 'disbursements.grants' AND event_id = $1`,
        [envelope.eventId],
      );
      return rowCount === 1 ? true : undefined;
    });
  }

  const kyc = (grantId: string, status: 'verified' | 'rejected'): object =>
    ({
      grantId,
      status,
      expiresAt: null,
      recordedBy: 'admin-e2e',
      recordedAt: new Date().toISOString(),
    }) satisfies GrantIntegrationEventData<'KycStatusChanged'>;
  const accountChange = (grant: TestGrant, previousAccount: string, payoutAccount: string) =>
    ({
      grantId: grant.grantId,
      previousAccount,
      payoutAccount,
      approvedBy: 'admin-e2e',
      approvedAt: new Date().toISOString(),
      effectiveAt: new Date(Date.now() - 1000).toISOString(),
    }) satisfies GrantIntegrationEventData<'PayoutAccountChanged'>;
  const facts = async (grantId: string) =>
    (
      await pool.query(
        `SELECT status, kyc_status, kyc_version, payout_account, payout_account_version
         FROM disbursements.grant_info WHERE grant_id = $1`,
        [grantId],
      )
    ).rows[0];

  async function disbursementOf(grant: TestGrant, amountUnits: number) {
    await up.acceptMilestone(grant, 1, units(amountUnits));
    const id = disbursementId(grant.grantId, 1);
    const t = await h.treasurer();
    const body = await disbursementWhen(h, id, t.token);
    return { id, body, t };
  }

  it('KYC rejected (v5) then a replayed verified (v4): facts stay rejected and the run waits as kyc', async () => {
    const grant = await up.activateGrant({ asset: ASSET, amounts: [units(5)] }); // version 1
    await grantEvent('KycStatusChanged', grant.grantId, 5, kyc(grant.grantId, 'rejected'));
    await grantEvent('KycStatusChanged', grant.grantId, 4, kyc(grant.grantId, 'verified'));
    expect(await facts(grant.grantId)).toMatchObject({
      status: 'active',
      kyc_status: 'rejected',
      kyc_version: 5,
    });

    const { id, t } = await disbursementOf(grant, 5);
    await post(h, `/v1/disbursements/${id}/approve`, t.token, { comment: 'ok' }).expect(200);
    const result = (await post(h, '/v1/treasury/runs', t.token).expect(200)).body as {
      released: { id: string }[];
      waiting: { id: string; reason: string }[];
    };
    expect(result.released.map((r) => r.id)).not.toContain(id);
    expect(result.waiting.find((w) => w.id === id)?.reason).toBe('kyc');
  });

  it('payout account B→C (v3) then a replayed A→B (v2): grant and disbursement keep C', async () => {
    const grant = await up.activateGrant({ asset: ASSET, amounts: [units(7)] }); // version 1
    const { id, t, body } = await disbursementOf(grant, 7);
    expect(body.receiver).toBe(grant.payoutAccount);
    const b = `b-${randomUUID().slice(0, 8)}.test.near`;
    const c = `c-${randomUUID().slice(0, 8)}.test.near`;

    await grantEvent('PayoutAccountChanged', grant.grantId, 3, accountChange(grant, b, c));
    await grantEvent(
      'PayoutAccountChanged',
      grant.grantId,
      2,
      accountChange(grant, grant.payoutAccount, b),
    );
    expect(await facts(grant.grantId)).toMatchObject({
      payout_account: c,
      payout_account_version: 3,
    });
    const res = await h.api().get(`/v1/disbursements/${id}`).set(auth(t.token)).expect(200);
    expect(res.body.receiver).toBe(c);
  });

  it('a cancelled grant (v5) stays cancelled when an older activation (v1) is redelivered', async () => {
    const grant = await up.activateGrant({ asset: ASSET, amounts: [units(3)] }); // version 1
    await grantEvent('GrantCancelled', grant.grantId, 5, {
      grantId: grant.grantId,
      reason: 'founder left',
      cancelledBy: 'admin-e2e',
      cancelledAt: new Date().toISOString(),
    } satisfies GrantIntegrationEventData<'GrantCancelled'>);
    await up.activateGrant({ ...grant, amounts: [units(3)] }); // same grant again, version 1
    await grantEvent('KycStatusChanged', grant.grantId, 6, kyc(grant.grantId, 'verified'));
    expect(await facts(grant.grantId)).toMatchObject({
      status: 'cancelled',
      kyc_status: 'verified',
    });
  });
});
