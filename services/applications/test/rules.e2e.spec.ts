import { randomBytes, randomUUID } from 'node:crypto';
import { applicationBody, approval, type Harness, reviewBody, startHarness } from './harness';
import { bearer } from '@lib/testing';

describe('separation of duties, concurrency and idempotency', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  const auth = bearer;
  const sub = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
  const review = reviewBody('approve');
  const approve = approval();
  const eventsOf = async (id: string) =>
    (
      await h.pool.query<{ type: string }>(
        'SELECT type FROM applications.events WHERE stream_id = $1 ORDER BY stream_version',
        [`application-${id}`],
      )
    ).rows.map((r) => r.type);

  const submitted = () => h.submitted(founder);

  beforeAll(async () => {
    h = await startHarness();
    founder = await h.signInFounder();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('a reviewer who declared a conflict can neither review nor decide, and does not count towards quorum', async () => {
    const id = await submitted();
    const conflicted = sub('rev-conflicted');
    const clean = sub('rev-clean');
    const third = sub('rev-third');
    const adminReviewer = sub('admin-reviewer');
    const tokens = {
      conflicted: await h.staffToken(conflicted, ['reviewer']),
      clean: await h.staffToken(clean, ['reviewer']),
      third: await h.staffToken(third, ['reviewer']),
      adminReviewer: await h.staffToken(adminReviewer, ['admin', 'reviewer']),
      admin: await h.staffToken(sub('admin'), ['admin']),
    };
    await h
      .act(id, 'reviewers', tokens.admin, { reviewers: [conflicted, clean, adminReviewer] })
      .expect(200);

    // declaring a conflict is recorded; a review afterwards is refused
    const conflict = { conflictOfInterest: true, comment: 'I advise this team' };
    await h.act(id, 'reviews', tokens.conflicted, conflict).expect(200);
    const blocked = await h.act(id, 'reviews', tokens.conflicted, review).expect(403);
    expect(blocked.body.code).toBe('reviewer_conflicted');

    // an admin who is also a conflicted reviewer cannot decide
    await h.act(id, 'reviews', tokens.adminReviewer, { conflictOfInterest: true }).expect(200);
    await h.act(id, 'reviews', tokens.clean, review).expect(200);
    const conflictedDecider = await h
      .act(id, 'decision', tokens.adminReviewer, approve)
      .expect(403);
    expect(conflictedDecider.body.code).toBe('decider_conflicted');

    // one clean review out of a quorum of two: the conflicted ones do not count
    const short = await h.act(id, 'decision', tokens.admin, approve).expect(409);
    expect(short.body.code).toBe('quorum_not_met');

    // re-assigning a conflicted reviewer is refused; a further, clean reviewer completes the quorum
    const reassign = await h
      .act(id, 'reviewers', tokens.admin, { reviewers: [conflicted] })
      .expect(403);
    expect(reassign.body.code).toBe('reviewer_conflicted');
    await h.act(id, 'reviewers', tokens.admin, { reviewers: [third] }).expect(200);
    await h.act(id, 'reviews', tokens.third, review).expect(200);
    const approved = await h.act(id, 'decision', tokens.admin, approve).expect(200);
    expect(approved.body.status).toBe('approved');
  });

  it('two admins deciding at once: one succeeds, the other gets 409, one decision is stored', async () => {
    const id = await submitted();
    const reviewers = [sub('rev-a'), sub('rev-b')];
    const admins = [
      await h.staffToken(sub('admin-1'), ['admin']),
      await h.staffToken(sub('admin-2'), ['admin']),
    ];
    await h.act(id, 'reviewers', admins[0], { reviewers }).expect(200);
    for (const reviewer of reviewers) {
      await h.act(id, 'reviews', await h.staffToken(reviewer, ['reviewer']), review).expect(200);
    }
    const [first, second] = await Promise.all([
      h.act(id, 'decision', admins[0], approve),
      h.act(id, 'decision', admins[1], { decision: 'reject', reason: 'Not now' }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const loser = first.status === 409 ? first : second;
    expect(loser.headers['content-type']).toContain('application/problem+json');
    const decisions = (await eventsOf(id)).filter(
      (t) => t === 'ApplicationApproved' || t === 'ApplicationRejected',
    );
    expect(decisions).toHaveLength(1);
  });

  it('a stale If-Match is a 409 and changes nothing', async () => {
    const id = await h.draft(founder);
    await h
      .api()
      .patch(`/v1/applications/${id}`)
      .set({ ...auth(founder.token), 'if-match': '"1"' })
      .send({ title: 'First edit' })
      .expect(200);
    const stale = await h
      .api()
      .patch(`/v1/applications/${id}`)
      .set({ ...auth(founder.token), 'if-match': '"1"' })
      .send({ title: 'Lost update' })
      .expect(409);
    expect(stale.body.code).toBe('version_conflict');
    const current = await h
      .api()
      .get(`/v1/applications/${id}`)
      .set(auth(founder.token))
      .expect(200);
    expect(current.body).toMatchObject({ title: 'First edit', version: 2 });
  });

  it('a malformed If-Match is a 400 validation_failed naming the header, and changes nothing', async () => {
    const id = await h.draft(founder);
    for (const header of ['abc', '"x"', '-1', '"1", "2"']) {
      const bad = await h
        .api()
        .patch(`/v1/applications/${id}`)
        .set({ ...auth(founder.token), 'if-match': header })
        .send({ title: 'Never written' })
        .expect(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(bad.body).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(bad.body.errors).toEqual([
        { field: 'If-Match', code: 'invalid_if_match', message: 'must be the version, e.g. "3"' },
      ]);
    }
    const current = await h
      .api()
      .get(`/v1/applications/${id}`)
      .set(auth(founder.token))
      .expect(200);
    expect(current.body.version).toBe(1);
    expect(current.body.title).not.toBe('Never written');
  });

  it('the same POST with the same Idempotency-Key returns the same response and appends one event', async () => {
    const key = randomUUID();
    const body = applicationBody(founder.accountId);
    const first = await h
      .api()
      .post('/v1/applications')
      .set({ ...auth(founder.token), 'idempotency-key': key })
      .send(body)
      .expect(201);
    const again = await h
      .api()
      .post('/v1/applications')
      .set({ ...auth(founder.token), 'idempotency-key': key })
      .send(body)
      .expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    const drafted = await h.pool.query(
      `SELECT count(*)::int AS n FROM applications.events WHERE type = 'ApplicationDrafted' AND data->'fields'->>'title' = $1`,
      [body.title],
    );
    expect(drafted.rows[0].n).toBe(1);

    const submitKey = randomUUID();
    const id = first.body.id as string;
    const submits = await Promise.all(
      [0, 1].map(() =>
        h
          .api()
          .post(`/v1/applications/${id}/submit`)
          .set({ ...auth(founder.token), 'idempotency-key': submitKey }),
      ),
    );
    // Concurrent repeats: one runs; the other replays it or is told the first is still running.
    expect(submits.map((s) => s.status).sort()).toEqual(expect.arrayContaining([200]));
    for (const s of submits) expect([200, 409]).toContain(s.status);
    const replay = await h
      .api()
      .post(`/v1/applications/${id}/submit`)
      .set({ ...auth(founder.token), 'idempotency-key': submitKey })
      .expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await eventsOf(id)).filter((t) => t === 'ApplicationSubmitted')).toHaveLength(1);
  });
});
