import { OpenApiGeneratorV3, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { openApiRoutes } from './openapi';

describe('milestones OpenAPI routes', () => {
  it('generate a document with every route, its parameters and bodies', () => {
    const registry = new OpenAPIRegistry();
    for (const route of openApiRoutes) registry.registerPath(route);
    const document = new OpenApiGeneratorV3(registry.definitions).generateDocument({
      openapi: '3.0.3',
      info: { title: 'milestones', version: '1' },
    });
    expect(Object.keys(document.paths).sort()).toEqual([
      '/v1/grants/{id}/milestones',
      '/v1/grants/{id}/milestones/{n}/review',
      '/v1/grants/{id}/milestones/{n}/submissions',
    ]);
    const submit = document.paths['/v1/grants/{id}/milestones/{n}/submissions'].post!;
    expect(submit.parameters?.map((p) => ('name' in p ? `${p.in}:${p.name}` : ''))).toEqual(
      expect.arrayContaining(['path:id', 'path:n', 'header:Idempotency-Key', 'header:If-Match']),
    );
    const body = submit.requestBody as { content: Record<string, { schema: unknown }> };
    expect(JSON.stringify(body.content['application/json'].schema)).toContain('evidenceUrls');
    expect(Object.keys(submit.responses)).toEqual(
      expect.arrayContaining(['201', '401', '403', '404', '409', '422']),
    );
  });
});
