import { OpenApiGeneratorV3, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { openApiRoutes } from './openapi';

describe('grants OpenAPI routes', () => {
  const document = () => {
    const registry = new OpenAPIRegistry();
    for (const route of openApiRoutes) registry.registerPath(route);
    return new OpenApiGeneratorV3(registry.definitions).generateDocument({
      openapi: '3.0.3',
      info: { title: 'grants', version: '1' },
    });
  };

  it('describe every route with its parameters, bodies and problem answers', () => {
    const { paths } = document();
    expect(
      Object.entries(paths)
        .flatMap(([path, item]) =>
          Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
        )
        .sort(),
    ).toEqual([
      'GET /v1/grants',
      'GET /v1/grants/{id}',
      'POST /v1/grants/{id}/accept',
      'POST /v1/grants/{id}/acceptance-challenge',
      'POST /v1/grants/{id}/cancel',
      'POST /v1/grants/{id}/kyc',
      'POST /v1/grants/{id}/payout-account',
      'POST /v1/grants/{id}/payout-account-challenge',
      'POST /v1/grants/{id}/payout-account/approve',
    ]);
    const accept = paths['/v1/grants/{id}/accept'].post!;
    expect(
      accept.parameters?.map((p) => ('name' in p ? `${p.in}:${p.name.toLowerCase()}` : '')),
    ).toEqual(expect.arrayContaining(['path:id', 'header:if-match', 'header:idempotency-key']));
    const body = JSON.stringify(
      (accept.requestBody as { content: Record<string, { schema: unknown }> }).content[
        'application/json'
      ].schema,
    );
    for (const field of ['accountId', 'publicKey', 'signature', 'nonce', 'message', 'recipient']) {
      expect(body).toContain(field);
    }
    expect(Object.keys(accept.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403', '404', '409', '422']),
    );
    const list = paths['/v1/grants'].get!;
    expect(list.parameters?.map((p) => ('name' in p ? p.name : ''))).toEqual(
      expect.arrayContaining(['status', 'asset', 'limit', 'cursor']),
    );
    const kyc = JSON.stringify(paths['/v1/grants/{id}/kyc'].post!.requestBody);
    expect(kyc).toContain('verified');
    expect(kyc).toContain('expiresAt');
  });

  it('describe the list as JSON or a CSV export with its columns', () => {
    const list = document().paths['/v1/grants'].get!;
    expect(list.parameters?.map((p) => ('name' in p ? p.name : ''))).toContain('format');
    const ok = list.responses['200'] as { content: Record<string, { schema: unknown }> };
    expect(Object.keys(ok.content).sort()).toEqual(['application/json', 'text/csv']);
    expect(JSON.stringify(ok.content['text/csv'].schema)).toContain(
      'tranches_settled, tranches_total',
    );
  });
});
