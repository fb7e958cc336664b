import { randomBytes } from 'node:crypto';
import { applicationBody, type Harness, startHarness } from './harness';

describe('audit endpoints of the applications service, through the gateway', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  let applicationId: string;
  const tokens: Record<'admin' | 'reviewer' | 'treasurer', string> = {
    admin: '',
    reviewer: '',
    treasurer: '',
  };
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    h = await startHarness();
    const suffix = randomBytes(3).toString('hex');
    tokens.admin = await h.staffToken(`admin-${suffix}`, ['admin']);
    tokens.reviewer = await h.staffToken(`rev-${suffix}`, ['reviewer']);
    tokens.treasurer = await h.staffToken(`treasurer-${suffix}`, ['treasurer']);
    founder = await h.signInFounder();
    const draft = await h
      .api()
      .post('/v1/applications')
      .set(auth(founder.token))
      .send(applicationBody(founder.accountId))
      .expect(201);
    applicationId = draft.body.id as string;
    await h
      .api()
      .post(`/v1/applications/${applicationId}/submit`)
      .set(auth(founder.token))
      .expect(200);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  const stream = () => `/v1/audit/streams/application-${applicationId}`;

  it('refuses founders (even the owner), reviewers and treasurers with 403, and no token with 401', async () => {
    for (const token of [founder.token, tokens.reviewer, tokens.treasurer]) {
      const read = await h.api().get(stream()).set(auth(token)).expect(403);
      expect(read.headers['content-type']).toMatch(/^application\/problem\+json/);
      await h.api().post('/v1/audit/verify/applications').set(auth(token)).send({}).expect(403);
    }
    await h.api().get(stream()).expect(401);
    await h.api().post('/v1/audit/verify/applications').send({}).expect(401);
  });

  it('gives an admin the stream: every event with its hash links, and the chain intact', async () => {
    const response = await h.api().get(stream()).set(auth(tokens.admin)).expect(200);
    expect(response.body).toMatchObject({
      service: 'applications',
      schema: 'applications',
      streamId: `application-${applicationId}`,
      version: 2,
      chain: { intact: true },
    });
    const events = response.body.events as {
      type: string;
      prevHash: string;
      hash: string;
      actor: string;
    }[];
    expect(events.map((e) => e.type)).toEqual(['ApplicationDrafted', 'ApplicationSubmitted']);
    expect(events[0].prevHash).toBe('0'.repeat(64));
    expect(events[1].prevHash).toBe(events[0].hash);
    expect(events[0].actor).toContain(founder.accountId);
  });

  it('gives an admin a verification result for the schema and for one stream', async () => {
    const whole = await h
      .api()
      .post('/v1/audit/verify/applications')
      .set(auth(tokens.admin))
      .expect(200);
    expect(whole.body).toMatchObject({ service: 'applications', schema: 'applications' });
    expect(whole.body.streamsChecked).toBeGreaterThanOrEqual(1);
    expect(whole.body.eventsChecked).toBeGreaterThanOrEqual(2);
    expect(typeof whole.body.ok).toBe('boolean');
    expect((whole.body.broken as { streamId: string }[]).map((b) => b.streamId)).not.toContain(
      `application-${applicationId}`,
    );

    const one = await h
      .api()
      .post('/v1/audit/verify/applications')
      .set(auth(tokens.admin))
      .send({ streamId: `application-${applicationId}` })
      .expect(200);
    expect(one.body).toEqual({
      service: 'applications',
      schema: 'applications',
      ok: true,
      streamsChecked: 1,
      eventsChecked: 2,
      broken: [],
    });
  });

  it('answers bad input with problem+json: a malformed stream id 422, an unknown one 404, unknown fields 422', async () => {
    const bad = await h
      .api()
      .get('/v1/audit/streams/application-x y')
      .set(auth(tokens.admin))
      .expect(422);
    expect(bad.body.errors[0].field).toBe('streamId');
    await h
      .api()
      .get(`/v1/audit/streams/application-${randomBytes(16).toString('hex')}`)
      .set(auth(tokens.admin))
      .expect(404);
    const extra = await h
      .api()
      .post('/v1/audit/verify/applications')
      .set(auth(tokens.admin))
      .send({ streamId: `application-${applicationId}`, everything: true })
      .expect(422);
    expect(extra.headers['content-type']).toMatch(/^application\/problem\+json/);
    // A whole-schema verify names its service: the gateway cannot guess the owner otherwise.
    await h.api().post('/v1/audit/verify').set(auth(tokens.admin)).send({}).expect(404);
  });
});
