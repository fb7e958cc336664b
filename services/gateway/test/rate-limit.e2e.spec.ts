import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startGateway } from './harness';

/** The gateway behind one load balancer of ours (TRUSTED_PROXY_HOPS=1), rate limited. */
describe('rate limit per client behind a trusted proxy', () => {
  let upstream: Server;
  let app: INestApplication;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          forwardedFor: req.headers['x-forwarded-for'],
          correlationId: req.headers['x-correlation-id'],
        }),
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    app = await startGateway({
      APPLICATIONS_URL: url,
      RATE_LIMIT_PER_SECOND: '3',
      TRUSTED_PROXY_HOPS: '1',
    });
  });

  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  // The balancer appends the real client; whatever the client wrote before it is ignored.
  const from = (client: string, spoofed = `9.9.9.${Math.floor(Math.random() * 250)}`) =>
    request(app.getHttpServer())
      .get('/v1/applications')
      .set('x-forwarded-for', `${spoofed}, ${client}`);

  it('replaces a correlation id that is not a UUID with a fresh one', async () => {
    let client = 10;
    for (const sent of ['corr-42', '"; DROP TABLE events; --', 'x'.repeat(150), '']) {
      const response = await from(`198.51.100.${(client += 1)}`).set('x-correlation-id', sent);
      const forwarded = response.body.correlationId as string;
      expect(forwarded).not.toBe(sent);
      expect(forwarded).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    const uuid = randomUUID();
    const kept = await from('198.51.100.30').set('x-correlation-id', uuid);
    expect(kept.body.correlationId).toBe(uuid);
  });

  it('gives each client its own bucket, and a client cannot escape its bucket by spoofing', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i += 1) statuses.push((await from('198.51.100.1')).status);
    expect(statuses).toContain(429); // a fresh spoofed entry each time did not help
    const other = await from('198.51.100.2');
    expect(other.status).toBe(200); // another client behind the same balancer is not affected
    // The service is told the resolved client only, never the client-written part of the chain.
    expect(other.body.forwardedFor).toBe('198.51.100.2');
  });
});
