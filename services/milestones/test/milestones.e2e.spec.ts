import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { bearer } from '@lib/testing';
import {
  databaseUrl,
  eventually,
  grantActivated,
  grantCancelled,
  type Harness,
  newGrant,
  startHarness,
} from './harness';

interface Item {
  number: number;
  status: string;
  version: number;
  overdue: boolean;
  submissions: unknown[];
  reviews: Record<string, unknown>[];
}

describe('milestones end to end (Kafka grant events → gateway → service → Postgres → Kafka)', () => {
  let h: Harness;
  let pool: Pool;
  const reviewerSub = `rev-${randomBytes(3).toString('hex')}`;
  const adminSub = `admin-${randomBytes(3).toString('hex')}`;
  let reviewer: string;
  let admin: string;
  const auth = bearer;
  const evidence = {
    summary: 'Prototype runs end to end',
    evidenceUrls: ['https://github.com/ada/proto'],
  };

  beforeAll(async () => {
    h = await startHarness();
    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    reviewer = await h.token(reviewerSub, ['reviewer']);
    admin = await h.token(adminSub, ['admin']);
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await h?.close();
  });

  /** POST /v1/grants/{grantId}/milestones/{number}/{action} as `token`. */
  const post =
    (action: 'submissions' | 'review') =>
    (grantId: string, number: number, token: string, body: object) =>
      h
        .api()
        .post(`/v1/grants/${grantId}/milestones/${number}/${action}`)
        .set(auth(token))
        .send(body);
  const submit = post('submissions');
  const review = post('review');
  const list = async (grantId: string, token: string): Promise<Item[]> => {
    const response = await h
      .api()
      .get(`/v1/grants/${grantId}/milestones`)
      .set(auth(token))
      .expect(200);
    return response.body.items as Item[];
  };
  /** Waits until the list shows `number` in `status`; returns that item. */
  const listedAs = (grantId: string, token: string, number: number, status: string) =>
    eventually(async () =>
      (await list(grantId, token)).find((i) => i.number === number && i.status === status),
    );
  const publishedEvent = (
    type: string,
    grantId: string,
    predicate: (data: Record<string, unknown>) => boolean = () => true,
  ) =>
    eventually(() =>
      h.published.find((e) => e.type === type && e.aggregateId === grantId && predicate(e.data)),
    );
  const streamEvents = async (grantId: string, number: number) =>
    (
      await pool.query<{ type: string }>(
        'SELECT type FROM milestones.events WHERE stream_id = $1 ORDER BY stream_version',
        [`milestone-${grantId}-${number}`],
      )
    ).rows.map((r) => r.type);

  it('pending → submit → reject with comment → resubmit → accept; MilestoneAccepted names the acceptor', async () => {
    const grant = newGrant();
    const founder = await h.token(grant.founder, ['founder']);
    await h.publishGrantEvent(grantActivated(grant));

    // one pending milestone per tranche, amounts in the asset's decimals, overdue from the due date
    await listedAs(grant.grantId, founder, 2, 'pending');
    const opened = await list(grant.grantId, founder);
    expect(opened).toMatchObject([
      {
        number: 1,
        title: 'Prototype',
        amount: '15000',
        asset: 'USDC',
        status: 'pending',
        overdue: true,
        version: 1,
        submissions: [],
        reviews: [],
      },
      {
        number: 2,
        title: 'Mainnet launch',
        amount: '30000.5',
        asset: 'USDC',
        status: 'pending',
        overdue: false,
        version: 1,
      },
    ]);

    // submit
    const submitted = await submit(grant.grantId, 1, founder, evidence).expect(201);
    expect(submitted.headers.etag).toBe('"2"');
    expect(submitted.body).toMatchObject({ number: 1, status: 'submitted', version: 2 });
    expect((await publishedEvent('MilestoneSubmitted', grant.grantId)).data).toMatchObject({
      grantId: grant.grantId,
      tranche: 1,
      submission: 1,
      submittedBy: grant.founder,
      evidenceUrls: evidence.evidenceUrls,
    });
    await listedAs(grant.grantId, reviewer, 1, 'submitted');

    // a rejection needs a comment
    const noComment = await review(grant.grantId, 1, reviewer, { decision: 'reject' }).expect(422);
    expect(noComment.headers['content-type']).toContain('application/problem+json');
    expect(noComment.body.errors).toEqual([
      expect.objectContaining({ field: 'comment', code: 'required' }),
    ]);

    await review(grant.grantId, 1, reviewer, {
      decision: 'reject',
      comment: 'The repository is private',
    }).expect(200);
    expect((await publishedEvent('MilestoneRejected', grant.grantId)).data).toMatchObject({
      tranche: 1,
      comment: 'The repository is private',
      rejectedBy: reviewerSub,
    });
    const rejected = await listedAs(grant.grantId, founder, 1, 'rejected');
    // the founder reads the comment, not who wrote it
    expect(rejected.reviews).toEqual([
      {
        submission: 1,
        decision: 'reject',
        comment: 'The repository is private',
        reviewedAt: expect.any(String),
      },
    ]);

    // resubmit
    const resubmitted = await h
      .api()
      .post(`/v1/grants/${grant.grantId}/milestones/1/submissions`)
      .set({ ...auth(founder), 'if-match': '"3"' })
      .send({ ...evidence, summary: 'Repository is public now' })
      .expect(201);
    expect(resubmitted.body).toMatchObject({ status: 'submitted', version: 4 });
    expect(resubmitted.body.submissions).toHaveLength(2);
    await publishedEvent('MilestoneSubmitted', grant.grantId, (d) => d.submission === 2);

    // a stale If-Match is a 409, the current one accepts
    const stale = await h
      .api()
      .post(`/v1/grants/${grant.grantId}/milestones/1/review`)
      .set({ ...auth(admin), 'if-match': '"3"' })
      .send({ decision: 'accept' })
      .expect(409);
    expect(stale.body.code).toBe('version_conflict');
    const accepted = await h
      .api()
      .post(`/v1/grants/${grant.grantId}/milestones/1/review`)
      .set({ ...auth(admin), 'if-match': '"4"' })
      .send({ decision: 'accept', comment: 'Verified the demo' })
      .expect(200);
    expect(accepted.body).toMatchObject({
      status: 'accepted',
      version: 5,
      overdue: false,
      acceptedBy: adminSub,
    });

    const event = await publishedEvent('MilestoneAccepted', grant.grantId);
    expect(event.data).toEqual({
      grantId: grant.grantId,
      tranche: 1,
      amount: '15000000000',
      asset: 'USDC',
      founder: grant.founder,
      acceptedBy: adminSub,
      acceptedAt: expect.any(String),
    });
    expect(event.kafkaKey).toBe(grant.grantId);
    expect(event.actor).toBe(adminSub);

    // every GET reflects it; staff see who reviewed
    const final = await listedAs(grant.grantId, reviewer, 1, 'accepted');
    expect(final).toMatchObject({
      overdue: false,
      version: 5,
      submissions: [{ number: 1 }, { number: 2 }],
    });
    expect(final.reviews).toEqual([
      expect.objectContaining({ submission: 1, decision: 'reject', reviewedBy: reviewerSub }),
      expect.objectContaining({
        submission: 2,
        decision: 'accept',
        reviewedBy: adminSub,
        comment: 'Verified the demo',
      }),
    ]);

    // an accepted milestone takes no new submission or review
    const again = await submit(grant.grantId, 1, founder, evidence).expect(409);
    expect(again.body.code).toBe('already_accepted');
    await review(grant.grantId, 1, reviewer, { decision: 'accept' }).expect(409);
    expect(
      h.published.filter((e) => e.type === 'MilestoneAccepted' && e.aggregateId === grant.grantId),
    ).toHaveLength(1);
  });

  it('Idempotency-Key replays the first answer; concurrent reviews: exactly one wins', async () => {
    const grant = newGrant();
    const founder = await h.token(grant.founder, ['founder']);
    await h.publishGrantEvent(grantActivated(grant));
    const key = `submit-${randomBytes(6).toString('hex')}`;
    const path = `/v1/grants/${grant.grantId}/milestones/1/submissions`;
    const first = await h
      .api()
      .post(path)
      .set({ ...auth(founder), 'idempotency-key': key })
      .send(evidence)
      .expect(201);
    const repeat = await h
      .api()
      .post(path)
      .set({ ...auth(founder), 'idempotency-key': key })
      .send(evidence)
      .expect(201);
    expect(repeat.body).toEqual(first.body);
    const otherBody = await h
      .api()
      .post(path)
      .set({ ...auth(founder), 'idempotency-key': key })
      .send({ ...evidence, summary: 'Something else' });
    expect(otherBody.status).toBe(422);
    expect(otherBody.headers['content-type']).toContain('application/problem+json');
    expect(await streamEvents(grant.grantId, 1)).toEqual(['MilestoneOpened', 'MilestoneSubmitted']);

    // two staff members accept at the same moment: one 200, one 409, one MilestoneAccepted
    const reviewPath = `/v1/grants/${grant.grantId}/milestones/1/review`;
    const answers = await Promise.all(
      [reviewer, admin, reviewer].map((token) =>
        h.api().post(reviewPath).set(auth(token)).send({ decision: 'accept' }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(['version_conflict', 'already_accepted']).toContain(answer.body.code);
    }
    expect(await streamEvents(grant.grantId, 1)).toEqual([
      'MilestoneOpened',
      'MilestoneSubmitted',
      'MilestoneAccepted',
    ]);
    await publishedEvent('MilestoneAccepted', grant.grantId);
  });

  it('a redelivered GrantActivated changes nothing: still one set of milestones', async () => {
    const grant = newGrant();
    const founder = await h.token(grant.founder, ['founder']);
    const activation = grantActivated(grant);
    await h.publishGrantEvent(activation);
    await h.publishGrantEvent(activation); // redelivery: same event id
    await h.publishGrantEvent({ ...activation, eventId: grantActivated(grant).eventId }); // same facts, new id

    await listedAs(grant.grantId, founder, 2, 'pending');
    const items = await list(grant.grantId, founder);
    expect(items.map((i) => [i.number, i.status, i.version])).toEqual([
      [1, 'pending', 1],
      [2, 'pending', 1],
    ]);
    expect(await streamEvents(grant.grantId, 1)).toEqual(['MilestoneOpened']);
    expect(await streamEvents(grant.grantId, 2)).toEqual(['MilestoneOpened']);
  });

  it('GrantCancelled closes every milestone not yet accepted; a later submission is a 409', async () => {
    const grant = newGrant();
    const founder = await h.token(grant.founder, ['founder']);
    await h.publishGrantEvent(
      grantActivated(grant, {
        amount: '45000000000',
        tranches: [
          { number: 1, title: 'Prototype', dueDate: '2027-03-01', amount: '15000000000' },
          { number: 2, title: 'Beta', dueDate: '2027-06-01', amount: '15000000000' },
          { number: 3, title: 'Launch', dueDate: '2027-09-01', amount: '15000000000' },
        ],
      }),
    );
    await listedAs(grant.grantId, founder, 3, 'pending');
    for (const n of [1, 2]) {
      await submit(grant.grantId, n, founder, evidence).expect(201);
    }
    await review(grant.grantId, 2, reviewer, { decision: 'accept' }).expect(200);

    const cancellation = grantCancelled(grant);
    await h.publishGrantEvent(cancellation);
    await h.publishGrantEvent(cancellation); // redelivered: nothing more

    await listedAs(grant.grantId, founder, 1, 'cancelled');
    const items = await list(grant.grantId, founder);
    expect(items.map((i) => [i.number, i.status, i.overdue])).toEqual([
      [1, 'cancelled', false],
      [2, 'accepted', false],
      [3, 'cancelled', false],
    ]);
    expect(await streamEvents(grant.grantId, 1)).toEqual([
      'MilestoneOpened',
      'MilestoneSubmitted',
      'MilestoneCancelled',
    ]);
    expect(await streamEvents(grant.grantId, 2)).toEqual([
      'MilestoneOpened',
      'MilestoneSubmitted',
      'MilestoneAccepted',
    ]);

    for (const n of [1, 3]) {
      const late = await submit(grant.grantId, n, founder, evidence).expect(409);
      expect(late.headers['content-type']).toContain('application/problem+json');
      expect(late.body.code).toBe('milestone_cancelled');
    }
    const closed = await review(grant.grantId, 1, reviewer, { decision: 'accept' }).expect(409);
    expect(closed.body.code).toBe('milestone_cancelled');
    expect(
      h.published.filter((e) => e.type === 'MilestoneAccepted' && e.aggregateId === grant.grantId),
    ).toHaveLength(1);
  });

  it('a GrantActivated replayed after the cancellation opens nothing', async () => {
    const grant = newGrant();
    const founder = await h.token(grant.founder, ['founder']);
    await h.publishGrantEvent(grantCancelled(grant));
    await h.publishGrantEvent(grantActivated(grant));

    expect(await list(grant.grantId, founder)).toEqual([]);
    expect(await streamEvents(grant.grantId, 1)).toEqual(['MilestoneCancelled']);
    const submission = await submit(grant.grantId, 1, founder, evidence).expect(404);
    expect(submission.body.code).toBe('milestone_not_found');
  });
});
