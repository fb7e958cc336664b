import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createAssetRegistry } from '@lib/near';
import { type LimitCase, limitCases } from '@lib/testing';
// Tests may start another service in-process: the document is held to the running applications.
import { type Harness, startHarness } from '../../applications/test/harness';
import { openApiDocument } from '../src/openapi/document';
import { startGateway } from './harness';

describe('gateway API docs', () => {
  let app: INestApplication;

  beforeAll(async () => {
    // The docs never touch an upstream.
    app = await startGateway({ APPLICATIONS_URL: 'http://127.0.0.1:1' });
  });

  afterAll(async () => {
    await app.close();
  });

  it('GET /openapi.json returns the document', async () => {
    const response = await request(app.getHttpServer()).get('/openapi.json').expect(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    expect(response.body.openapi).toMatch(/^3\./);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(['/v1/applications', '/v1/applications/{id}/decision']),
    );
    expect(response.body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });

  it('GET /docs serves the Swagger UI page over the same document', async () => {
    const page = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('swagger-ui');
    expect(page.text).toContain('<title>Incubator API</title>');

    const init = await request(app.getHttpServer()).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('/v1/applications/{id}/submit');

    const bundle = await request(app.getHttpServer()).get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
  });

  it('leaves /v1 routing to the proxy', async () => {
    const response = await request(app.getHttpServer()).get('/v1/applications');
    expect(response.status).toBe(502); // nothing listens upstream: proxied, not answered here
    expect(response.headers['content-type']).toContain('application/problem+json');
  });
});

/**
 * The document and the validation cannot drift: every request field the document gives a limit
 * (maxLength, pattern, enum, an asset's decimals, maxItems, maximum, minimum) is sent one step
 * past it, through the gateway, and the answer must be a 400/422 naming that field. The
 * applications routes run here; every other service's routes are walked on the whole system by
 * deploy/test/openapi-limits.e2e.spec.ts.
 */
describe('every documented limit is enforced (document ↔ validation)', () => {
  let h: Harness;
  let tokens: string[];
  const assets = createAssetRegistry({ network: 'local' });
  const cases = limitCases(openApiDocument as never, {
    decimals: (asset) => assets.find(asset)?.decimals,
    paths: /^\/v1\/(applications|auth)(\/|$)/,
  });

  beforeAll(async () => {
    h = await startHarness();
    const founder = await h.signInFounder();
    const staff = await h.staffToken(`staff-${Date.now()}`, ['reviewer', 'admin', 'treasurer']);
    tokens = [founder.token, staff];
  });

  afterAll(async () => {
    await h?.close();
  });

  const send = (c: Pick<LimitCase, 'method' | 'url'>, token: string | undefined) => {
    const method = c.method as 'get' | 'post' | 'patch' | 'put' | 'delete';
    const call = h.api()[method](c.url);
    return token ? call.set('authorization', `Bearer ${token}`) : call;
  };

  /** The caller the operation lets through (any answer but 401/403 to its valid example). */
  async function callerFor(c: LimitCase): Promise<string | undefined> {
    if (!c.secured) return undefined;
    for (const token of tokens) {
      const answer = await send(c, token).send(c.example as object);
      if (answer.status !== 401 && answer.status !== 403) {
        expect([400, 422]).not.toContain(answer.status); // the example itself is valid
        return token;
      }
    }
    throw new Error(`no caller gets through to ${c.operationId}`);
  }

  it('finds the limits of every applications route with a body or a query', () => {
    const operations = new Set(cases.map((c) => c.operationId));
    expect([...operations].sort()).toEqual(
      [
        'assignReviewers',
        'createApplication',
        'decideApplication',
        'editApplication',
        'listApplications',
        'signInChallenge',
        'signInVerify',
        'submitApplication',
        'submitReview',
        'withdrawApplication',
      ].sort(),
    );
    expect(new Set(cases.map((c) => c.limit))).toEqual(
      new Set(['maxLength', 'pattern', 'enum', 'decimals', 'maxItems', 'maximum', 'minimum']),
    );
  });

  it.each(cases.map((c) => [`${c.operationId} ${c.location} ${c.field} past ${c.limit}`, c]))(
    '%s → 400/422 naming the field',
    async (_, c) => {
      const token = await callerFor(c);
      let call = send(c, token);
      if (c.query) call = call.query(c.query);
      for (const [name, value] of Object.entries(c.headers ?? {})) call = call.set(name, value);
      const answer = await call.send(c.body as object);
      expect([400, 422]).toContain(answer.status);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      const fields = ((answer.body as { errors?: { field: string }[] }).errors ?? []).map(
        (e) => e.field,
      );
      expect(fields).toContain(c.field);
    },
  );
});
