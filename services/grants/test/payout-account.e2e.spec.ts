import { randomBytes } from 'node:crypto';
import { type IntegrationEnvelope, TOPICS } from '@lib/contracts';
import { auth, eventually, type Harness, type NearAccount, startHarness } from './harness';

const HOUR = 3_600_000;

describe('payout-account change: proof by the new account, admin approval, cool-down', () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const activeGrant = () => h.activeGrant();

  const challengeFor = async (token: string, id: string, account: NearAccount) =>
    (
      await h
        .api()
        .post(`/v1/grants/${id}/payout-account-challenge`)
        .set(auth(token))
        .send({ accountId: account.accountId })
        .expect(200)
    ).body;

  it('is refused without the new account’s proof, then in force only after the cool-down', async () => {
    const grantsTopic = await h.tail(TOPICS.grant);
    const { founder, payout, id } = await activeGrant();
    const next = h.nearAccount('newpay');
    const propose = (body: unknown) =>
      h
        .api()
        .post(`/v1/grants/${id}/payout-account`)
        .set(auth(founder.token))
        .send(body as object);

    // the old account's key cannot prove the new account
    const issued = await challengeFor(founder.token, id, next);
    expect(issued.message).toContain(next.accountId);
    const byOldKey = await propose(await h.sign(next, issued, payout.keyPair));
    expect(byOldKey.status).toBe(403);
    expect(byOldKey.body.code).toBe('proof_key_not_found');
    // the old account signing for itself answers a challenge that was not issued to it
    const byOldAccount = await propose(
      await h.sign(payout, await challengeFor(founder.token, id, next)),
    );
    expect(byOldAccount.status).toBe(403);
    expect(byOldAccount.body.code).toBe('proof_challenge_unknown');
    // no proof at all
    const none = await propose({ accountId: next.accountId });
    expect(none.status).toBe(422);
    expect(none.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'message',
      'nonce',
      'publicKey',
      'recipient',
      'signature',
    ]);
    // nothing to approve yet
    const early = await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(admin))
      .send({ payoutAccount: next.accountId });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('no_payout_account_change');

    // the new account proves itself → awaiting approval; the old account is still paid
    const proposed = await propose(await h.sign(next, await challengeFor(founder.token, id, next)));
    expect(proposed.status).toBe(200);
    expect(proposed.body).toMatchObject({
      payoutAccount: payout.accountId,
      pendingPayoutAccountChange: { account: next.accountId, status: 'awaiting_approval' },
    });
    // the founder cannot approve it
    await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(founder.token))
      .send({ payoutAccount: next.accountId })
      .expect(403);

    // an approval names the account it approves: another one is refused and changes nothing
    const mismatch = await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(admin))
      .send({ payoutAccount: payout.accountId });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.code).toBe('payout_account_mismatch');
    const missing = await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(admin))
      .send({});
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toEqual(['payoutAccount']);
    const unchanged = await h.api().get(`/v1/grants/${id}`).set(auth(admin)).expect(200);
    expect(unchanged.body.pendingPayoutAccountChange).toMatchObject({
      account: next.accountId,
      status: 'awaiting_approval',
    });

    const approved = await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(admin))
      .send({ payoutAccount: next.accountId })
      .expect(200);
    const effectiveAt = approved.body.pendingPayoutAccountChange.effectiveAt as string;
    expect(approved.body).toMatchObject({
      payoutAccount: payout.accountId,
      pendingPayoutAccountChange: { account: next.accountId, status: 'scheduled' },
    });
    const changed = await eventually(async () =>
      grantsTopic.events.find(
        (e: IntegrationEnvelope) => e.type === 'PayoutAccountChanged' && e.aggregateId === id,
      ),
    );
    expect(changed.data).toMatchObject({
      grantId: id,
      previousAccount: payout.accountId,
      payoutAccount: next.accountId,
      effectiveAt,
    });
    expect(Date.parse(effectiveAt) - Date.parse(changed.data.approvedAt as string)).toBe(48 * HOUR);

    const view = async () =>
      (await h.api().get(`/v1/grants/${id}`).set(auth(founder.token)).expect(200)).body;
    const listed = async () =>
      (
        (await h.api().get('/v1/grants').set(auth(founder.token)).expect(200)).body.items as {
          id: string;
          payoutAccount: string;
        }[]
      ).find((g) => g.id === id)?.payoutAccount;

    // not in force just before the cool-down ends …
    h.clock.advance(Date.parse(effectiveAt) - h.clock.now().getTime() - 60_000);
    expect((await view()).payoutAccount).toBe(payout.accountId);
    expect(await listed()).toBe(payout.accountId);
    // … in force after it
    h.clock.advance(2 * 60_000);
    const after = await view();
    expect(after.payoutAccount).toBe(next.accountId);
    expect(after.pendingPayoutAccountChange).toBeNull();
    expect(
      await eventually(async () => ((await listed()) === next.accountId ? true : undefined)),
    ).toBe(true);
    await grantsTopic.stop();
  }, 120_000);

  it('a change before acceptance moves acceptance to the new account once in force', async () => {
    const founder = await h.signInFounder();
    const payout = h.nearAccount('payout');
    const next = h.nearAccount('newpay');
    const { aggregateId: id } = await h.publishApproved({
      founder: founder.accountId,
      payoutAccount: payout.accountId,
    });
    await eventually(async () => {
      const response = await h.api().get(`/v1/grants/${id}`).set(auth(founder.token));
      return response.status === 200 ? true : undefined;
    });
    await h
      .api()
      .post(`/v1/grants/${id}/payout-account`)
      .set(auth(founder.token))
      .send(await h.sign(next, await challengeFor(founder.token, id, next)))
      .expect(200);
    await h
      .api()
      .post(`/v1/grants/${id}/payout-account/approve`)
      .set(auth(admin))
      .send({ payoutAccount: next.accountId })
      .expect(200);
    h.clock.advance(49 * HOUR);
    const issued = await h
      .api()
      .post(`/v1/grants/${id}/acceptance-challenge`)
      .set(auth(founder.token))
      .expect(200);
    expect(issued.body.message).toContain(`paid to ${next.accountId}`);
    const byOld = await h
      .api()
      .post(`/v1/grants/${id}/accept`)
      .set(auth(founder.token))
      .send(await h.sign(payout, issued.body));
    expect(byOld.status).toBe(403);
    expect(byOld.body.code).toBe('signer_not_payout_account');
    const accepted = await h
      .api()
      .post(`/v1/grants/${id}/accept`)
      .set(auth(founder.token))
      .send(await h.sign(next, issued.body))
      .expect(200);
    expect(accepted.body.acceptance.payoutAccount).toBe(next.accountId);
  }, 120_000);
});
