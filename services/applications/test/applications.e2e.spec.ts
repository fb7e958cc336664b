import { randomBytes } from 'node:crypto';
import { type IntegrationEnvelope, TOPICS } from '@lib/contracts';
import { bearer, eventually, tailTopic, type TopicTail } from '@lib/testing';
import { applicationBody, approval, type Harness, reviewBody, startHarness } from './harness';

describe('applications end to end (gateway → service → Postgres → Kafka)', () => {
  let h: Harness;
  let tail: TopicTail;
  let published: IntegrationEnvelope[];
  let admin: string;
  const reviewers = [
    `rev-alice-${randomBytes(3).toString('hex')}`,
    `rev-bob-${randomBytes(3).toString('hex')}`,
  ];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.staffToken(`admin-${randomBytes(3).toString('hex')}`, ['admin']);
    for (const reviewer of reviewers) tokens[reviewer] = await h.staffToken(reviewer, ['reviewer']);
    // What the relay publishes from now on, parsed against the contracts as any consumer would.
    tail = await tailTopic(TOPICS.application, { name: 'applications-e2e' });
    published = tail.messages;
  }, 120_000);

  afterAll(async () => {
    await tail?.stop();
    await h?.close();
  });

  const auth = bearer;
  const listed = (token: string, id: string, query = '') =>
    eventually(async () => {
      const response = await h.api().get(`/v1/applications${query}`).set(auth(token)).expect(200);
      return (response.body.items as { id: string; status: string }[]).find((i) => i.id === id);
    });
  const listedWithStatus = (token: string, id: string, status: string) =>
    eventually(async () => {
      const item = await listed(token, id);
      return item.status === status ? item : undefined;
    });
  const publishedEvent = (type: string, applicationId: string) =>
    eventually(async () =>
      published.find((e) => e.type === type && e.aggregateId === applicationId),
    );

  it('founder signs in with NEAR, applies, gets reviewed and approved; ApplicationApproved reaches Kafka', async () => {
    const founder = await h.signInFounder();

    // create
    const created = await h
      .api()
      .post('/v1/applications')
      .set(auth(founder.token))
      .send(applicationBody(founder.accountId))
      .expect(201);
    const id = created.body.id as string;
    expect(created.headers.location).toBe(`/v1/applications/${id}`);
    expect(created.body).toMatchObject({ status: 'draft', version: 1, owner: founder.accountId });
    expect(created.headers.etag).toBe('"1"');
    expect((await listed(founder.token, id)).status).toBe('draft');

    // edit (with If-Match) and submit
    const edited = await h
      .api()
      .patch(`/v1/applications/${id}`)
      .set({ ...auth(founder.token), 'if-match': '"1"' })
      .send({ summary: 'Proofs of model execution, verified and settled on NEAR.' })
      .expect(200);
    expect(edited.body).toMatchObject({
      version: 2,
      summary: 'Proofs of model execution, verified and settled on NEAR.',
    });
    await h.act(id, 'submit', founder.token).expect(200);
    await listedWithStatus(founder.token, id, 'submitted');
    expect((await publishedEvent('ApplicationSubmitted', id)).data).toMatchObject({
      applicationId: id,
      founder: founder.accountId,
      round: 1,
    });

    // admin assigns two reviewers; the staff queue filters by reviewer
    await h.act(id, 'reviewers', admin, { reviewers }).expect(200);
    const inQueue = await eventually(async () => {
      const response = await h
        .api()
        .get(`/v1/applications?status=under_review&reviewer=${reviewers[0]}`)
        .set(auth(admin))
        .expect(200);
      return (response.body.items as { id: string }[]).find((i) => i.id === id);
    });
    expect(inQueue).toMatchObject({ status: 'under_review', reviewers });

    // both review
    for (const [index, reviewer] of reviewers.entries()) {
      const reviewed = await h
        .act(id, 'reviews', tokens[reviewer], {
          ...reviewBody('approve', 4, `private note from ${reviewer}`),
          scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 3 + index },
        })
        .expect(200);
      expect(reviewed.body.reviewSummary.count).toBe(index + 1);
    }

    // admin approves with terms
    const approved = await h
      .act(id, 'decision', admin, {
        ...approval('45000', ['15000', '30000']),
        reason: 'Strong team',
      })
      .expect(200);
    expect(approved.body.status).toBe('approved');

    // the founder sees scores and the reason, not reviewers' identities or private comments
    const founderView = await h
      .api()
      .get(`/v1/applications/${id}`)
      .set(auth(founder.token))
      .expect(200);
    expect(founderView.body.status).toBe('approved');
    expect(founderView.body.decision).toMatchObject({
      decision: 'approve',
      reason: 'Strong team',
      grant: { asset: 'USDC', amount: '45000' },
    });
    expect(founderView.body.reviewSummary.reviews).toHaveLength(2);
    expect(JSON.stringify(founderView.body)).not.toContain('private note');
    expect(JSON.stringify(founderView.body)).not.toContain(reviewers[0]);
    const staffView = await h.api().get(`/v1/applications/${id}`).set(auth(admin)).expect(200);
    expect(JSON.stringify(staffView.body)).toContain('private note');
    await listedWithStatus(founder.token, id, 'approved');

    // ApplicationApproved with those terms, from Kafka, in base units (USDC has 6 decimals)
    const event = await publishedEvent('ApplicationApproved', id);
    expect(event.data).toMatchObject({
      applicationId: id,
      founder: founder.accountId,
      payoutAccount: founder.accountId,
      grant: {
        asset: 'USDC',
        amount: '45000000000',
        tranches: [
          { milestone: 1, amount: '15000000000', title: 'Prototype' },
          { milestone: 2, amount: '30000000000', title: 'Mainnet launch' },
        ],
      },
    });
    expect(event.correlationId).toBeTruthy();
  });

  it('request changes → founder edits and resubmits → approved', async () => {
    const founder = await h.signInFounder();
    const id = await h.submitted(founder);
    await h.act(id, 'reviewers', admin, { reviewers }).expect(200);
    const review = (reviewer: string, recommendation: 'approve' | 'request_changes') =>
      h.act(id, 'reviews', tokens[reviewer], {
        ...reviewBody('approve', 3, 'needs a clearer plan'),
        recommendation,
      });
    for (const reviewer of reviewers) await review(reviewer, 'request_changes').expect(200);
    const changes = await h
      .act(id, 'decision', admin, { decision: 'request_changes', reason: 'Split milestone 2' })
      .expect(200);
    expect(changes.body.status).toBe('changes_requested');
    await listedWithStatus(founder.token, id, 'changes_requested');

    await h
      .api()
      .patch(`/v1/applications/${id}`)
      .set(auth(founder.token))
      .send({ title: 'Verifiable inference, revised plan' })
      .expect(200);
    const resubmitted = await h.act(id, 'submit', founder.token).expect(200);
    expect(resubmitted.body.status).toBe('submitted');
    expect(
      (
        await eventually(async () =>
          published.find(
            (e) => e.type === 'ApplicationSubmitted' && e.aggregateId === id && e.data.round === 2,
          ),
        )
      ).data.resubmission,
    ).toBe(true);

    // the new round needs its own quorum
    await h.act(id, 'reviewers', admin, { reviewers }).expect(200);
    for (const reviewer of reviewers) await review(reviewer, 'approve').expect(200);
    const approved = await h.act(id, 'decision', admin, approval()).expect(200);
    expect(approved.body.status).toBe('approved');
    await listedWithStatus(founder.token, id, 'approved');
    await publishedEvent('ApplicationApproved', id);
  });
});
