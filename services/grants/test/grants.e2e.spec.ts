import { randomBytes, randomUUID } from 'node:crypto';
import { KeyPair } from 'near-api-js';
import type request from 'supertest';
import { type IntegrationEnvelope, TOPICS } from '@lib/contracts';
import { auth, dueIn, eventually, type Harness, startHarness } from './harness';

describe('grants end to end (gateway → applications → Kafka → grants → Kafka)', () => {
  let h: Harness;
  let admin: string;
  let reviewer: string;
  const reviewerSub = `rev-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
    reviewer = await h.staffToken(reviewerSub, ['reviewer']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const grantOf = (token: string, id: string, status: string) =>
    eventually(async () => {
      const response = await h.api().get(`/v1/grants/${id}`).set(auth(token));
      return response.status === 200 && response.body.status === status ? response : undefined;
    });

  const published = (events: IntegrationEnvelope[], type: string, id: string) =>
    eventually(async () => events.find((e) => e.type === type && e.aggregateId === id));

  const awardedGrant = () => h.awardedGrant();

  const challenge = async (token: string, id: string) =>
    (
      await h
        .api()
        .post(`/v1/grants/${id}/acceptance-challenge`)
        .set(auth(token))
        .send({})
        .expect(200)
    ).body;

  it('approved application → awarded grant → the payout account signs the terms → active', async () => {
    const grantsTopic = await h.tail(TOPICS.grant);
    const { founder, payout, id } = await h.approvedApplication({
      reviewer: { sub: reviewerSub, token: reviewer },
      admin,
      amounts: { amount: '45000.5', tranches: ['15000.5', '30000'] },
    });

    // the grant appears as awarded, with the approved terms as decimal strings of USDC
    const awarded = await grantOf(founder.token, id, 'awarded');
    expect(awarded.headers.etag).toBe('"1"');
    expect(awarded.body).toMatchObject({
      id,
      status: 'awarded',
      version: 1,
      founder: founder.accountId,
      asset: 'USDC',
      amount: '45000.5',
      payoutAccount: payout.accountId,
      pendingPayoutAccountChange: null,
      acceptance: null,
      kyc: null,
      tranches: [
        {
          number: 1,
          title: 'Prototype',
          dueDate: dueIn(6),
          amount: '15000.5',
          milestoneStatus: null,
          disbursementStatus: null,
          payoutTxHash: null,
        },
        { number: 2, title: 'Mainnet launch', dueDate: dueIn(12), amount: '30000' },
      ],
    });
    expect((await published(grantsTopic.events, 'GrantAwarded', id)).data).toMatchObject({
      grantId: id,
      founder: founder.accountId,
      payoutAccount: payout.accountId,
      amount: '45000500000',
      tranches: [
        { number: 1, amount: '15000500000' },
        { number: 2, amount: '30000000000' },
      ],
    });
    // founder's list and staff list show it
    const listed = await eventually(async () => {
      const response = await h
        .api()
        .get('/v1/grants?status=awarded')
        .set(auth(founder.token))
        .expect(200);
      return (response.body.items as { id: string }[]).find((g) => g.id === id);
    });
    expect(listed).toMatchObject({ status: 'awarded', amount: '45000.5', trancheCount: 2 });

    // the payout account signs the acceptance challenge
    const issued = await challenge(founder.token, id);
    expect(issued.termsHash).toBe(awarded.body.termsHash);
    expect(issued.message).toContain(id);
    expect(issued.message).toContain(issued.termsHash);
    expect(Buffer.from(issued.nonce, 'base64')).toHaveLength(32);
    const accepted = await h
      .api()
      .post(`/v1/grants/${id}/accept`)
      .set(auth(founder.token))
      .set('if-match', '"1"')
      .send(await h.sign(payout, issued))
      .expect(200);
    expect(accepted.body).toMatchObject({
      status: 'active',
      version: 2,
      acceptance: { payoutAccount: payout.accountId, termsHash: issued.termsHash },
      tranches: [{ milestoneStatus: 'pending' }, { milestoneStatus: 'pending' }],
    });
    const activated = await published(grantsTopic.events, 'GrantActivated', id);
    expect(activated.data).toMatchObject({
      grantId: id,
      payoutAccount: payout.accountId,
      termsHash: issued.termsHash,
      tranches: [{ number: 1 }, { number: 2 }],
    });
    await grantsTopic.stop();
  }, 120_000);

  it('refuses acceptance by a key the payout account does not hold, another account, other terms, a reused nonce, another founder', async () => {
    const { founder, payout, id } = await awardedGrant();
    const other = await h.signInFounder();
    const stranger = h.nearAccount('stranger');
    const accept = (token: string, body: object) =>
      h.api().post(`/v1/grants/${id}/accept`).set(auth(token)).send(body);
    const expectProblem = (response: request.Response, status: number, code: string) => {
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body.code).toBe(code);
    };

    // a key the payout account does not hold
    expectProblem(
      await accept(
        founder.token,
        await h.sign(payout, await challenge(founder.token, id), KeyPair.fromRandom('ed25519')),
      ),
      403,
      'proof_key_not_found',
    );
    // another account
    expectProblem(
      await accept(founder.token, await h.sign(stranger, await challenge(founder.token, id))),
      403,
      'signer_not_payout_account',
    );
    // other terms: the wallet signed a message that is not the one issued
    const issued = await challenge(founder.token, id);
    const otherTerms = {
      ...issued,
      message: issued.message.replace('Terms sha256: ', 'Terms sha256: 0'),
    };
    expectProblem(
      await accept(founder.token, await h.sign(payout, otherTerms)),
      403,
      'proof_message_mismatch',
    );
    // that nonce is spent now: the correct signature over it is a reused nonce
    expectProblem(
      await accept(founder.token, await h.sign(payout, issued)),
      403,
      'proof_challenge_reused',
    );
    // another founder: no challenge, no acceptance
    const good = await challenge(founder.token, id);
    expectProblem(
      await h.api().post(`/v1/grants/${id}/acceptance-challenge`).set(auth(other.token)).send({}),
      404,
      'grant_not_found',
    );
    expectProblem(await accept(other.token, await h.sign(payout, good)), 404, 'grant_not_found');

    // nothing changed; the owner's own proof still works
    const still = await h.api().get(`/v1/grants/${id}`).set(auth(founder.token)).expect(200);
    expect(still.body).toMatchObject({ status: 'awarded', version: 1 });
    const accepted = await accept(founder.token, await h.sign(payout, good));
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('active');
    // accepting twice: not awarded any more
    expectProblem(
      await h.api().post(`/v1/grants/${id}/acceptance-challenge`).set(auth(founder.token)).send({}),
      409,
      'not_awarded',
    );
  }, 120_000);

  it('ApplicationApproved delivered twice → one grant', async () => {
    const founder = await h.signInFounder();
    const payout = h.nearAccount('payout');
    const first = await h.publishApproved({
      founder: founder.accountId,
      payoutAccount: payout.accountId,
    });
    await h.publishApproved({
      founder: founder.accountId,
      payoutAccount: payout.accountId,
      envelope: first,
    });
    // A later event of the same application (same key, same partition): once it is processed,
    // so is the redelivery before it. Its own id is new: the decider sees the grant exists.
    const later = await h.publishApproved({
      founder: founder.accountId,
      payoutAccount: payout.accountId,
      envelope: { ...first, eventId: randomUUID() },
    });
    await eventually(async () => {
      const { rows } = await h.pool.query(
        `SELECT 1 FROM grants.inbox WHERE consumer = 'grants.applications' AND event_id = $1`,
        [later.eventId],
      );
      return rows.length === 1 ? true : undefined;
    });
    const { rows } = await h.pool.query<{ type: string }>(
      'SELECT type FROM grants.events WHERE stream_id = $1',
      [`grant-${first.aggregateId}`],
    );
    expect(rows.map((r) => r.type)).toEqual(['GrantAwarded']);
    const grant = await h
      .api()
      .get(`/v1/grants/${first.aggregateId}`)
      .set(auth(founder.token))
      .expect(200);
    expect(grant.body.version).toBe(1);
  }, 120_000);

  it('KYC and cancellation by an admin; both published; a cancelled grant stays cancelled', async () => {
    const grantsTopic = await h.tail(TOPICS.grant);
    const { founder, id } = await awardedGrant();
    const kyc = await h
      .api()
      .post(`/v1/grants/${id}/kyc`)
      .set(auth(admin))
      .send({ status: 'verified', expiresAt: '2030-12-31' })
      .expect(200);
    expect(kyc.body.kyc).toMatchObject({ status: 'verified', expiresAt: '2030-12-31' });
    expect((await published(grantsTopic.events, 'KycStatusChanged', id)).data).toMatchObject({
      grantId: id,
      status: 'verified',
      expiresAt: '2030-12-31',
    });
    const invalid = await h
      .api()
      .post(`/v1/grants/${id}/kyc`)
      .set(auth(admin))
      .send({ status: 'approved', expiresAt: '2030-02-30', extra: 1 })
      .expect(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'expiresAt',
      'extra',
      'status',
    ]);
    await h
      .api()
      .post(`/v1/grants/${id}/cancel`)
      .set(auth(admin))
      .set('if-match', '"1"')
      .send({ reason: 'No progress' })
      .expect(409); // stale version: KYC moved it to 2
    const cancelled = await h
      .api()
      .post(`/v1/grants/${id}/cancel`)
      .set(auth(admin))
      .set('if-match', '"2"')
      .send({ reason: 'No progress' })
      .expect(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'No progress' },
    });
    expect((await published(grantsTopic.events, 'GrantCancelled', id)).data).toMatchObject({
      grantId: id,
      reason: 'No progress',
    });
    const again = await h
      .api()
      .post(`/v1/grants/${id}/cancel`)
      .set(auth(admin))
      .send({ reason: 'Again' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('grant_closed');
    const founderView = await h.api().get(`/v1/grants/${id}`).set(auth(founder.token)).expect(200);
    expect(founderView.body.cancellation).toEqual({
      reason: 'No progress',
      cancelledAt: expect.any(String),
    });
    await grantsTopic.stop();
  }, 120_000);

  it('two concurrent changes at the same If-Match: one wins, the other is a 409, nothing lost', async () => {
    const { id } = await awardedGrant();
    const change = (status: string) =>
      h.api().post(`/v1/grants/${id}/kyc`).set(auth(admin)).set('if-match', '"1"').send({ status });
    const answers = await Promise.all([change('verified'), change('rejected')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const conflict = answers.find((a) => a.status === 409)!;
    expect(conflict.body.code).toBe('version_conflict');
    const winner = answers.find((a) => a.status === 200)!;
    const now = await h.api().get(`/v1/grants/${id}`).set(auth(admin)).expect(200);
    expect(now.body).toMatchObject({ version: 2, kyc: { status: winner.body.kyc.status } });
  }, 120_000);

  it('Idempotency-Key replays the first answer without a second event', async () => {
    const { id } = await awardedGrant();
    const key = randomUUID();
    const send = () =>
      h
        .api()
        .post(`/v1/grants/${id}/kyc`)
        .set(auth(admin))
        .set('idempotency-key', key)
        .send({ status: 'rejected' });
    const first = await send().expect(200);
    const second = await send().expect(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    const { rows } = await h.pool.query(
      'SELECT count(*)::int AS n FROM grants.events WHERE stream_id = $1',
      [`grant-${id}`],
    );
    expect(rows[0].n).toBe(2);
  }, 120_000);
});
