import request from 'supertest';
import { applicationBody, eventually, type Harness, startHarness } from './harness';

/** Sum of every sample of `name` whose labels include all of `labels`, in a Prometheus text body. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const labelText = open === -1 ? '' : line.slice(open + 1, line.lastIndexOf('}'));
    const has = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (!has) continue;
    found = true;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found ? sum : Number.NaN;
}

describe('GET /metrics of the running applications service', () => {
  let h: Harness;
  const scrape = async () => {
    const response = await request(h.applications.getHttpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text;
  };

  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('moves the HTTP, event-store, subscription and relay series while an application is written', async () => {
    const before = await scrape();
    const created = { service: 'applications', route: '/v1/applications', status: '201' };
    const http0 = sample(before, 'http_requests_total', created) || 0;
    const latency0 = sample(before, 'http_request_duration_seconds_count', created) || 0;
    const appends0 =
      sample(before, 'eventstore_appends_total', { schema: 'applications', outcome: 'appended' }) ||
      0;
    const queue = { schema: 'applications', subscription: 'applications.application-queue' };
    const handled0 = sample(before, 'subscription_events_handled_total', queue) || 0;
    const relay = { relay: 'applications.kafka-relay' };
    const published0 = sample(before, 'relay_publish_duration_seconds_count', relay) || 0;

    const founder = await h.signInFounder();
    const auth = { authorization: `Bearer ${founder.token}` };
    const draft = await h
      .api()
      .post('/v1/applications')
      .set(auth)
      .send(applicationBody(founder.accountId))
      .expect(201);
    await h
      .api()
      .post(`/v1/applications/${draft.body.id as string}/submit`)
      .set(auth)
      .expect(200);

    const after = await eventually(async () => {
      const body = await scrape();
      // The relay publishes the public ApplicationSubmitted; the projection folds both events.
      const moved =
        sample(body, 'relay_publish_duration_seconds_count', relay) > published0 &&
        sample(body, 'subscription_events_handled_total', queue) >= handled0 + 2;
      return moved ? body : undefined;
    });
    expect(sample(after, 'http_requests_total', created)).toBe(http0 + 1);
    expect(sample(after, 'http_request_duration_seconds_count', created)).toBe(latency0 + 1);
    // Route patterns, never raw ids.
    expect(after).toContain('route="/v1/applications/:id/submit"');
    expect(after).not.toContain(draft.body.id as string);
    expect(
      sample(after, 'eventstore_appends_total', { schema: 'applications', outcome: 'appended' }),
    ).toBeGreaterThanOrEqual(appends0 + 2);
    expect(sample(after, 'relay_event_delay_seconds_count', relay)).toBeGreaterThan(0);
    // Lag is read per subscription at scrape time, in events and seconds.
    expect(sample(after, 'subscription_lag_events', queue)).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'subscription_lag_seconds', queue)).toBeGreaterThanOrEqual(0);
    expect(after).toContain('process_cpu_user_seconds_total');
  });

  it('is not reachable through the gateway as an upstream path, and its own requests are "proxied"', async () => {
    await h.api().get('/v1/metrics').expect(404);
    const body = await scrape();
    expect(
      sample(body, 'http_requests_total', { service: 'gateway', route: 'proxied' }),
    ).toBeGreaterThan(0);
  });
});
