import {
  OpenAPIRegistry,
  OpenApiGeneratorV3,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problemResponse, problemSchema } from '@lib/platform';
import { auditRoutes } from './audit-routes';

// Builds the one public document from the services' routes (each service's `src/openapi.ts`),
// adding what the gateway itself answers: health, its 429/502/504, bearer security, and an
// operation id and a 401 where a route leaves them out. Pure: same routes, same document.

/** What the gateway answers itself on every `/v1` route, before any service does. */
const GATEWAY_RESPONSES: Record<string, ResponseConfig> = {
  '429': problemResponse('Over the gateway rate limit for this client address (`rate_limited`).'),
  '502': problemResponse('The owning service did not answer (`upstream_unavailable`).'),
  '504': problemResponse('The owning service did not answer in time (`upstream_timeout`).'),
};

const indicators = z.record(z.object({ status: z.enum(['up', 'down']) }));
const liveness = z.object({ status: z.enum(['ok']) }).openapi('Liveness');
const readiness = z
  .object({
    status: z.enum(['ok', 'error', 'shutting_down']),
    info: indicators.optional(),
    error: indicators.optional(),
    details: indicators.optional(),
  })
  .openapi('Readiness', { description: 'Terminus health check result.' });

/** Every service answers these itself; through the gateway they describe the gateway. */
const healthRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/health/live',
    operationId: 'liveness',
    tags: ['operations'],
    summary: 'The process is up',
    security: [],
    responses: {
      '200': { description: 'Alive.', content: { 'application/json': { schema: liveness } } },
    },
  },
  {
    method: 'get',
    path: '/health/ready',
    operationId: 'readiness',
    tags: ['operations'],
    summary: 'PostgreSQL (with the service schema) and Kafka answer',
    security: [],
    responses: {
      '200': { description: 'Ready.', content: { 'application/json': { schema: readiness } } },
      '503': {
        description: 'Not ready; `error` and `details` name the failing dependency.',
        content: { 'application/json': { schema: readiness } },
      },
    },
  },
];

/** `post /v1/grants/{id}/accept` → `postV1GrantsIdAccept`, for routes without an operationId. */
function defaultOperationId(route: RouteConfig): string {
  const words = [route.method, ...route.path.split(/[^A-Za-z0-9]+/)].filter(Boolean);
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1)))
    .join('');
}

/** The document's own requirement: a route that repeats it inherits it instead. */
const BEARER = [{ bearer: [] }];
const isBearerOnly = (security: RouteConfig['security']) =>
  JSON.stringify(security) === JSON.stringify(BEARER);

function withGatewayParts(route: RouteConfig): RouteConfig {
  if (!route.path.startsWith('/v1/')) return route;
  const { security, ...rest } = route;
  const secured = security === undefined || isBearerOnly(security);
  return {
    ...rest,
    ...(secured ? {} : { security }),
    operationId: route.operationId ?? defaultOperationId(route),
    responses: {
      ...route.responses,
      ...(secured && !route.responses['401']
        ? { '401': problemResponse('No, malformed or expired bearer token.') }
        : {}),
      ...GATEWAY_RESPONSES,
    },
  };
}

export interface ServiceRoutes {
  service: string;
  routes: readonly RouteConfig[];
}

/** The public API v1 document over `services`' routes (in the order given). */
export function buildOpenApiDocument(services: readonly ServiceRoutes[]) {
  const registry = new OpenAPIRegistry();
  registry.register('Problem', problemSchema);
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Founders: the token from `POST /v1/auth/near/verify` (roles `["founder"]`, `sub` = NEAR ' +
      'account). Staff: a token from the identity provider or, in development, an HS256 token ' +
      '(`npm run token:mint`) with roles among reviewer, admin, treasurer. The gateway does not ' +
      'check tokens; the owning service does.',
  });
  for (const { routes } of services) {
    for (const route of routes) registry.registerPath(withGatewayParts(route));
  }
  for (const route of auditRoutes) registry.registerPath(withGatewayParts(route));
  for (const route of healthRoutes) registry.registerPath(route);
  const tags = [
    { name: 'auth', description: 'Founder sign-in with a NEAR account (NEP-413).' },
    ...services.map(({ service }) => ({ name: service, description: `The ${service} service.` })),
    {
      name: 'audit',
      description: 'Event streams and hash-chain verification, admin only (every service).',
    },
    { name: 'operations', description: 'Health.' },
  ];
  const used = new Set(
    services
      .flatMap(({ routes }) => routes.flatMap((r) => r.tags ?? []))
      .concat('audit', 'operations'),
  );
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Incubator API',
      version: '1.0.0',
      description:
        'Founders apply for funding; staff review and decide; grants pay out in tranches on NEAR. ' +
        'Every request goes through the gateway, which routes `/v1/...` to the owning service and ' +
        'does not authenticate; each service checks the bearer token and roles itself.\n\n' +
        'Errors are `application/problem+json` (RFC 9457) with a stable `code`; bad input is a ' +
        '400/422 listing every field problem in `errors`. Mutations accept `Idempotency-Key`; ' +
        'changes to an existing resource accept `If-Match` with the version from `ETag`. Amounts ' +
        'are decimal strings in the asset (`"2500.5"`). Lists are paginated with `limit` and ' +
        '`cursor`.\n\nGenerated from the services’ zod schemas (`npm run openapi`).',
    },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: tags.filter((t, i) => used.has(t.name) && tags.findIndex((u) => u.name === t.name) === i),
    security: BEARER,
  });
}
