import { randomBytes } from 'node:crypto';
import { type IntegrationEnvelope, TOPICS } from '@lib/contracts';
import { auth, eventually, type Harness, startHarness } from './harness';

// Issue 10's path through the gateway on real Kafka, PostgreSQL and the NEAR emulator:
// approved → awarded → accepted → active → milestones pending → submit → reject with comment →
// resubmit → accept → MilestoneAccepted with the acceptor, every GET reflecting each step.
describe('the grant and milestone path (applications + grants + milestones + gateway)', () => {
  let h: Harness;
  let admin: string;
  let reviewer: string;
  const reviewerSub = `rev-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    h = await startHarness({}, { milestones: true });
    admin = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
    reviewer = await h.staffToken(reviewerSub, ['reviewer']);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('walks every step, and every GET shows it', async () => {
    const grantsTopic = await h.tail(TOPICS.grant);
    const milestonesTopic = await h.tail(TOPICS.milestone);

    // 1. an application, reviewed and approved with grant terms
    const { founder, payout, id } = await h.approvedApplication({
      reviewer: { sub: reviewerSub, token: reviewer },
      admin,
    });
    const application = await h
      .api()
      .get(`/v1/applications/${id}`)
      .set(auth(founder.token))
      .expect(200);
    expect(application.body.status).toBe('approved');

    // helpers reading what every GET shows
    const grant = async () =>
      (await h.api().get(`/v1/grants/${id}`).set(auth(founder.token)).expect(200)).body;
    const milestones = async (token = founder.token) =>
      (await h.api().get(`/v1/grants/${id}/milestones`).set(auth(token)).expect(200)).body
        .items as { number: number; status: string; reviews: { comment?: string }[] }[];
    const until = <T>(probe: () => Promise<T>, ok: (value: T) => boolean) =>
      eventually(async () => {
        const value = await probe();
        return ok(value) ? value : undefined;
      });
    const milestoneStatuses = (token = founder.token) =>
      milestones(token).then((items) => items.map((m) => m.status));
    const overviewStatuses = () =>
      grant().then((g: { tranches: { milestoneStatus: string | null }[] }) =>
        g.tranches.map((t) => t.milestoneStatus),
      );
    const same = (expected: unknown[]) => (actual: unknown[]) =>
      JSON.stringify(actual) === JSON.stringify(expected);

    // 2. the grant appears awarded; no milestones yet
    const awarded = await until(
      async () => {
        const response = await h.api().get(`/v1/grants/${id}`).set(auth(founder.token));
        return response.status === 200 ? response.body : { status: 'absent' };
      },
      (g) => g.status === 'awarded',
    );
    expect(awarded).toMatchObject({ amount: '45000', payoutAccount: payout.accountId });
    expect(await milestones()).toEqual([]);

    // 3. the payout account signs the terms → active → milestones pending
    const challenge = await h
      .api()
      .post(`/v1/grants/${id}/acceptance-challenge`)
      .set(auth(founder.token))
      .expect(200);
    const accepted = await h
      .api()
      .post(`/v1/grants/${id}/accept`)
      .set(auth(founder.token))
      .send(await h.sign(payout, challenge.body))
      .expect(200);
    expect(accepted.body.status).toBe('active');
    expect(await overviewStatuses()).toEqual(['pending', 'pending']);
    await until(() => milestoneStatuses(), same(['pending', 'pending']));
    expect(
      (
        await eventually(async () =>
          grantsTopic.events.find((e) => e.type === 'GrantActivated' && e.aggregateId === id),
        )
      ).data,
    ).toMatchObject({ payoutAccount: payout.accountId, termsHash: challenge.body.termsHash });

    /** Milestone 1 submitted with `summary`: submitted in milestones and the grant overview. */
    const submit = async (summary: string) => {
      await h
        .api()
        .post(`/v1/grants/${id}/milestones/1/submissions`)
        .set(auth(founder.token))
        .send({ summary, evidenceUrls: ['https://github.com/example/agents'] })
        .expect(201);
      await until(() => milestoneStatuses(), same(['submitted', 'pending']));
      await until(overviewStatuses, same(['submitted', 'pending']));
    };
    const review = (decision: 'accept' | 'reject', comment: string) =>
      h
        .api()
        .post(`/v1/grants/${id}/milestones/1/review`)
        .set(auth(reviewer))
        .send({ decision, comment })
        .expect(200);

    // 4. submit → submitted (milestones and the grant overview)
    await submit('Prototype runs end to end');

    // 5. reject with a comment → rejected
    await review('reject', 'The repository is private');
    const afterReject = await until(milestones, (items) => items[0]?.status === 'rejected');
    expect(afterReject.map((m) => m.status)).toEqual(['rejected', 'pending']);
    expect(JSON.stringify(afterReject[0].reviews)).toContain('The repository is private');
    await until(overviewStatuses, same(['rejected', 'pending']));

    // 6. resubmit → submitted
    await submit('Repository is public now');

    // 7. accept → accepted; MilestoneAccepted names the acceptor
    await review('accept', 'Verified the demo');
    await until(() => milestoneStatuses(admin), same(['accepted', 'pending']));
    await until(overviewStatuses, same(['accepted', 'pending']));
    const milestoneAccepted = await eventually(async () =>
      milestonesTopic.events.find(
        (e: IntegrationEnvelope) => e.type === 'MilestoneAccepted' && e.aggregateId === id,
      ),
    );
    expect(milestoneAccepted.data).toMatchObject({
      grantId: id,
      tranche: 1,
      amount: '15000000000',
      asset: 'USDC',
      founder: founder.accountId,
      acceptedBy: reviewerSub,
    });
    expect(milestonesTopic.events.filter((e) => e.aggregateId === id).map((e) => e.type)).toEqual([
      'MilestoneSubmitted',
      'MilestoneRejected',
      'MilestoneSubmitted',
      'MilestoneAccepted',
    ]);
    const staffList = await h.api().get('/v1/grants?status=active').set(auth(admin)).expect(200);
    expect((staffList.body.items as { id: string }[]).some((g) => g.id === id)).toBe(true);
    await grantsTopic.stop();
    await milestonesTopic.stop();
  }, 180_000);
});
