import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startGateway } from './harness';

/** A stand-in upstream that echoes what it received, so the test sees what the gateway forwards. */
function echoUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('location', '/v1/applications/123');
      res.statusCode = req.method === 'POST' ? 201 : 200;
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('gateway', () => {
  let upstream: Server;
  let app: INestApplication;

  beforeAll(async () => {
    upstream = await echoUpstream();
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    app = await startGateway({
      APPLICATIONS_URL: url,
      GRANTS_URL: url,
      MILESTONES_URL: 'http://127.0.0.1:1', // nothing listens there
      RATE_LIMIT_PER_SECOND: '5',
    });
  });

  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('forwards method, path, query, body, auth and idempotency headers, and a correlation id', async () => {
    const correlationId = randomUUID();
    const response = await request(app.getHttpServer())
      .post('/v1/applications?draft=true')
      .set('authorization', 'Bearer abc')
      .set('idempotency-key', 'k-1')
      .set('x-correlation-id', correlationId)
      .send({ title: 'Verifiable inference' });
    expect(response.status).toBe(201);
    expect(response.headers.location).toBe('/v1/applications/123');
    expect(response.body.method).toBe('POST');
    expect(response.body.url).toBe('/v1/applications?draft=true');
    expect(JSON.parse(response.body.body)).toEqual({ title: 'Verifiable inference' });
    expect(response.body.headers.authorization).toBe('Bearer abc');
    expect(response.body.headers['idempotency-key']).toBe('k-1');
    expect(response.body.headers['x-correlation-id']).toBe(correlationId);
  });

  it('answers 502 problem+json when the owning service is down', async () => {
    const response = await request(app.getHttpServer()).get('/v1/grants/g1/milestones/1');
    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe('upstream_unavailable');
  });

  it('answers 404 problem+json for paths no service owns', async () => {
    const response = await request(app.getHttpServer()).get('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('limits the request rate per client with 429 problem+json', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      statuses.push((await request(app.getHttpServer()).get('/v1/grants')).status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
  });
});
