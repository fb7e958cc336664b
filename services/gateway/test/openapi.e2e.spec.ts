import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createServiceApp } from '@lib/platform';
import { AppModule } from '../src/app.module';
import { installProxy } from '../src/proxy/proxy.module';
import { loadConfig } from '../src/config';
import { openApiDocument } from '../src/openapi/document';

describe('gateway API docs', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const config = loadConfig({
      APPLICATIONS_URL: 'http://127.0.0.1:1', // the docs never touch an upstream
      KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092',
      LOG_LEVEL: 'silent',
    });
    app = await createServiceApp(AppModule.register(config), {
      parseJsonBodies: false,
      configure: installProxy,
      quiet: true,
    });
    await app.init();
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
