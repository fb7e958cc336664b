import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, tokensPerRole } from '@lib/testing';
import { type Harness, startHarness } from './harness';

/**
 * Stand-ins for the services this harness does not run, for the gateway's all-services verify
 * fan-out: each answers only `POST /v1/audit/verify/<its name>` with an empty clean schema and
 * records the headers it was sent. `applications` is the real service.
 */
async function startStubService(name: string) {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    const ok = req.method === 'POST' && req.url === `/v1/audit/verify/${name}`;
    const body = JSON.stringify(
      ok
        ? { service: name, schema: name, ok: true, streamsChecked: 0, eventsChecked: 0, broken: [] }
        : { status: 404, code: 'not_found' },
    );
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { name, url, seen, close, closed: false };
}

describe('audit endpoints of the applications service, through the gateway', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  let applicationId: string;
  const tokens: Record<'admin' | 'reviewer' | 'treasurer', string> = {
    admin: '',
    reviewer: '',
    treasurer: '',
  };
  const auth = bearer;

  let stubs: Awaited<ReturnType<typeof startStubService>>[] = [];

  beforeAll(async () => {
    stubs = await Promise.all(
      ['grants', 'milestones', 'disbursements', 'near-settlement'].map(startStubService),
    );
    const [grants, milestones, disbursements, settlement] = stubs;
    h = await startHarness(
      {},
      {
        GRANTS_URL: grants.url,
        MILESTONES_URL: milestones.url,
        DISBURSEMENTS_URL: disbursements.url,
        SETTLEMENT_URL: settlement.url,
      },
    );
    Object.assign(tokens, await tokensPerRole(h.staffToken, ['admin', 'reviewer', 'treasurer']));
    founder = await h.signInFounder();
    applicationId = await h.submitted(founder);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await Promise.all(stubs.filter((s) => !s.closed).map((s) => s.close()));
  });

  const stream = () => `/v1/audit/streams/application-${applicationId}`;
  /** The verification of this test's one stream: two events, the chain intact. */
  const intactStream = () => ({
    service: 'applications',
    schema: 'applications',
    ok: true,
    streamsChecked: 1,
    eventsChecked: 2,
    broken: [],
  });

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
    expect(one.body).toEqual(intactStream());
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
  });

  describe('POST /v1/audit/verify at the gateway', () => {
    it('fans out to every service as an admin and merges the results, forwarding token and correlation id', async () => {
      const correlationId = randomUUID();
      const merged = await h
        .api()
        .post('/v1/audit/verify')
        .set(auth(tokens.admin))
        .set('x-correlation-id', correlationId)
        .expect(200);
      expect(merged.headers['content-type']).toMatch(/^application\/json/);
      const services = merged.body.services as { service: string; ok: boolean }[];
      expect(services.map((s) => s.service)).toEqual([
        'applications',
        'grants',
        'milestones',
        'disbursements',
        'near-settlement',
      ]);
      const applications = services[0] as unknown as { schema: string; eventsChecked: number };
      expect(applications).toMatchObject({ service: 'applications', schema: 'applications' });
      expect(applications.eventsChecked).toBeGreaterThanOrEqual(2);
      expect(merged.body.ok).toBe(services.every((s) => s.ok));
      for (const stub of stubs) {
        const sent = stub.seen[stub.seen.length - 1];
        expect(sent.authorization).toBe(`Bearer ${tokens.admin}`);
        expect(sent['x-correlation-id']).toBe(correlationId);
      }
      // An empty JSON object is the same request.
      await h.api().post('/v1/audit/verify').set(auth(tokens.admin)).send({}).expect(200);
    });

    it('refuses founders and reviewers with 403 and no token with 401, as the services do', async () => {
      for (const token of [founder.token, tokens.reviewer]) {
        const refused = await h.api().post('/v1/audit/verify').set(auth(token)).expect(403);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.body).toMatchObject({ status: 403, code: 'role_required' });
        expect(refused.body.services).toBeUndefined();
      }
      await h.api().post('/v1/audit/verify').expect(401);
    });

    it('answers a bad body with 400 problem+json listing the field', async () => {
      const notJson = await h
        .api()
        .post('/v1/audit/verify')
        .set(auth(tokens.admin))
        .set('content-type', 'application/json')
        .send('{"streamId":')
        .expect(400);
      expect(notJson.headers['content-type']).toMatch(/^application\/problem\+json/);
      const extra = await h
        .api()
        .post('/v1/audit/verify')
        .set(auth(tokens.admin))
        .send({ streamId: 'application-x y', everything: true })
        .expect(400);
      expect((extra.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
        '(body)',
        'streamId',
      ]);
      await h.api().post('/v1/audit/verify').set(auth(tokens.admin)).send([1]).expect(400);
    });

    it('with a streamId answers the owning service’s result for that stream', async () => {
      const one = await h
        .api()
        .post('/v1/audit/verify')
        .set(auth(tokens.admin))
        .send({ streamId: `application-${applicationId}` })
        .expect(200);
      expect(one.body).toEqual(intactStream());
      await h
        .api()
        .post('/v1/audit/verify')
        .set(auth(founder.token))
        .send({ streamId: `application-${applicationId}` })
        .expect(403);
      await h
        .api()
        .post('/v1/audit/verify')
        .set(auth(tokens.admin))
        .send({ streamId: `unknown-${randomUUID()}` })
        .expect(404);
    });

    it('keeps the per-service route, and a down service makes the fan-out a 502 naming it', async () => {
      await h.api().post('/v1/audit/verify/applications').set(auth(tokens.admin)).expect(200);
      const settlement = stubs[3];
      await settlement.close();
      settlement.closed = true;
      const down = await h.api().post('/v1/audit/verify').set(auth(tokens.admin)).expect(502);
      expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(down.body).toMatchObject({ status: 502, code: 'upstream_unavailable' });
      expect(down.body.unavailable).toEqual(['near-settlement']);
      expect(down.body.detail).toContain('near-settlement');
      expect((down.body.services as { service: string }[]).map((s) => s.service)).toEqual([
        'applications',
        'grants',
        'milestones',
        'disbursements',
      ]);
      // Authorisation still comes first: a founder learns nothing about which services are up.
      await h.api().post('/v1/audit/verify').set(auth(founder.token)).expect(403);
    });
  });
});
