import 'reflect-metadata';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type {
  OperationObject,
  ParameterObject,
  PathItemObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import type { z } from 'zod';
import { createAssetRegistry } from '@lib/near';
import { AuditController, HealthController, validateBody, ValidationProblem } from '@lib/platform';
import { type LimitCase, limitCases } from '@lib/testing';
// Tests may cross service boundaries: the document must match what the services do.
import {
  decisionBody,
  submitReviewBody,
  withdrawApplicationBody,
} from '../../../applications/src/application/application.dto';
import { isAuditVerify } from '../proxy/audit-verify';
import { auditRoutes } from './audit-routes';
import { routeFor } from '../proxy/route-table';
import { buildOpenApiDocument } from './build-document';
import { DOCUMENT_FILE, serialise } from './document-file';
import { openApiDocument as doc } from './document';
import { DOCUMENTED_SERVICES, loadServiceRoutes, SERVICES_DIR } from './service-routes';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
type Method = (typeof METHODS)[number];

const services = loadServiceRoutes();

const operations = Object.entries(doc.paths).flatMap(([path, item]: [string, PathItemObject]) =>
  METHODS.filter((m) => item[m]).map((method) => ({
    path,
    method,
    operation: item[method] as OperationObject,
  })),
);

/** `METHOD /path` of every handler of a Nest controller class, in OpenAPI path syntax. */
function controllerRoutes(controller: Type): string[] {
  const joined = (...parts: string[]) =>
    `/${parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .join('/')}`;
  const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor')
    .map((name) => prototype[name])
    .filter(
      (handler): handler is object =>
        typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler),
    )
    .map((handler) => {
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
      const path = joined(base, Reflect.getMetadata(PATH_METADATA, handler) as string);
      return `${RequestMethod[method]} ${path.replace(/:(\w+)/g, '{$1}')}`;
    });
}

/** Every Nest controller class in `services/<service>/src/**\/*.controller.ts`. */
function serviceControllers(service: string): { name: string; controller: Type }[] {
  const src = join(SERVICES_DIR, service, 'src');
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.controller.ts'))
    .sort();
  return files.flatMap((file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(join(src, file.replace(/\.ts$/, ''))) as Record<string, unknown>;
    return Object.entries(exports)
      .filter(
        (entry): entry is [string, Type] =>
          typeof entry[1] === 'function' && Reflect.hasMetadata(PATH_METADATA, entry[1]),
      )
      .map(([name, controller]) => ({ name: `${service}: ${name}`, controller }));
  });
}

/** The route table's name for a service's upstream. */
const upstreamOf = (service: string) => (service === 'near-settlement' ? 'settlement' : service);

const controllers = DOCUMENTED_SERVICES.flatMap((service) =>
  serviceControllers(service).map((c) => ({ ...c, service })),
);
const isPublicApi = (route: string) => route.split(' ')[1].startsWith('/v1/');

const documented = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));

const resolve = <T>(value: T | ReferenceObject): T => {
  if (!value || typeof value !== 'object' || !('$ref' in value)) return value;
  const [, , section, name] = value.$ref.split('/');
  const target = (doc.components as Record<string, Record<string, unknown>>)[section]?.[name];
  if (!target) throw new Error(`unresolved ${value.$ref}`);
  return target as T;
};

describe('OpenAPI document', () => {
  it('lists the applications service routes', () => {
    expect(operations.length).toBeGreaterThanOrEqual(12);
  });

  describe('is generated from the services’ zod schemas', () => {
    it('the checked-in openapi.json is what `npm run openapi` writes now (no drift)', () => {
      const checkedIn = readFileSync(DOCUMENT_FILE, 'utf8');
      // On failure: run `npm run openapi` and commit services/gateway/openapi.json.
      expect(checkedIn).toBe(serialise(buildOpenApiDocument(services)));
    });

    it('the gateway serves that file', () => {
      expect(doc).toEqual(JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')));
    });

    it('takes every service that has a src/openapi.ts', () => {
      const expected = DOCUMENTED_SERVICES.filter((s) =>
        existsSync(join(SERVICES_DIR, s, 'src', 'openapi.ts')),
      );
      expect(services.map((s) => s.service)).toEqual(expected);
      expect(expected).toContain('applications');
    });

    it('offers the assets of the registry, not a fixed list', () => {
      const symbols = createAssetRegistry({ network: 'local' })
        .list()
        .map((a) => a.symbol);
      const create = resolve<SchemaObject>({
        $ref: '#/components/schemas/CreateApplicationRequest',
      });
      const funding = create.properties!.requestedFunding as SchemaObject;
      expect((funding.properties!.asset as SchemaObject).enum).toEqual(symbols);
    });
  });

  describe('against the gateway and the services', () => {
    it.each(operations.filter((o) => o.path.startsWith('/v1/')))(
      'the route table sends $method $path to a service (or the gateway answers it)',
      ({ path, method }) => {
        const id = '0b6c7a4e-1f0e-4c57-9e0e-4c2f3f7f2a11';
        // Audit streams route by the stream id's prefix, a per-service verify by the name.
        const concrete = path
          .replace('{streamId}', `application-${id}`)
          .replace('{service}', 'near-settlement')
          .replace(/\{[^}]+\}/g, id);
        if (isAuditVerify(method.toUpperCase(), concrete)) return;
        expect(routeFor(concrete)).toBeDefined();
      },
    );

    it('documents outside /v1 only what the gateway answers itself (health)', () => {
      const own = new Set(controllerRoutes(HealthController));
      const outside = [...documented].filter((route) => !route.split(' ')[1].startsWith('/v1/'));
      expect(outside.filter((route) => !own.has(route))).toEqual([]);
    });

    it('finds the services’ controllers', () => {
      expect(controllers.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          'applications: ApplicationController',
          'applications: SignInController',
        ]),
      );
    });

    it.each([
      ...controllers.map((c) => [c.name, c.controller, upstreamOf(c.service)] as const),
      ['HealthController', HealthController, undefined] as const,
    ])('every public route of %s is documented (and routed there)', (_, controller, upstream) => {
      const routes = controllerRoutes(controller).filter(
        (route) => upstream === undefined || isPublicApi(route),
      );
      expect(routes.filter((route) => !documented.has(route))).toEqual([]);
      for (const route of routes) {
        const concrete = route.split(' ')[1].replace(/\{[^}]+\}/g, 'x');
        expect(routeFor(concrete)).toBe(upstream);
      }
    });

    it('documents no route that no controller answers', () => {
      const answered = new Set([
        ...controllers.flatMap((c) => controllerRoutes(c.controller)),
        ...controllerRoutes(HealthController),
        ...controllerRoutes(AuditController),
      ]);
      expect([...documented].filter((route) => !answered.has(route))).toEqual([]);
    });
  });

  describe('is well formed', () => {
    it('resolves every $ref', () => {
      const refs: string[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (!node || typeof node !== 'object') return;
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else walk(value);
        }
      };
      walk(doc);
      expect(refs.length).toBeGreaterThan(0);
      for (const $ref of refs) expect(() => resolve({ $ref })).not.toThrow();
    });

    it('has unique operation ids', () => {
      const ids = operations.map((o) => o.operation.operationId);
      expect(ids.every(Boolean)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it.each(operations)('$method $path declares its path parameters', ({ path, operation }) => {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (operation.parameters ?? [])
        .map((p) => resolve<ParameterObject>(p))
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      expect(declared).toEqual(inPath);
    });

    it.each(operations)('$method $path answers errors as problem+json', ({ operation }) => {
      const errors = Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, response]) => [status, resolve<ResponseObject>(response!)] as const);
      for (const [status, response] of errors) {
        if (status === '503' && operation.operationId === 'readiness') continue;
        expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
      }
    });
  });

  describe('describes the contract', () => {
    const v1 = operations.filter((o) => o.path.startsWith('/v1/'));
    const isMutation = (method: Method) => method !== 'get' && method !== 'head';
    // Header names are case-insensitive (RFC 9110); query and path names are not.
    const parameterNames = (operation: OperationObject) =>
      (operation.parameters ?? [])
        .map((p) => resolve<ParameterObject>(p))
        .map((p) => (p.in === 'header' ? headerName(p.name) : p.name));
    const headerName = (name: string) =>
      ({ 'idempotency-key': 'Idempotency-Key', 'if-match': 'If-Match' })[name.toLowerCase()] ??
      name;

    it.each(v1.filter((o) => isMutation(o.method) && o.path.startsWith('/v1/applications')))(
      '$method $path accepts Idempotency-Key',
      ({ operation }) => {
        expect(parameterNames(operation)).toContain('Idempotency-Key');
      },
    );

    // Issuing a sign challenge (`…-challenge`) changes no aggregate, so it has no version to match.
    const isChallenge = (path: string) => /-challenge$/.test(path);
    it.each(
      v1.filter((o) => isMutation(o.method) && o.path.includes('{id}') && !isChallenge(o.path)),
    )('$method $path accepts If-Match and answers 409', ({ operation }) => {
      expect(parameterNames(operation)).toContain('If-Match');
      expect(operation.responses['409']).toBeDefined();
    });

    it.each(v1)('$method $path lists the gateway answers (429, 502, 504)', ({ operation }) => {
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['429', '502', '504']),
      );
    });

    it.each(v1.filter((o) => !o.path.startsWith('/v1/auth/')))(
      '$method $path needs a bearer token and says 401',
      ({ operation }) => {
        expect(operation.security).toBeUndefined(); // inherits the document's bearer requirement
        expect(operation.responses['401']).toBeDefined();
      },
    );

    it('the list is paginated with limit and cursor and returns nextCursor', () => {
      const list = doc.paths['/v1/applications'].get!;
      expect(parameterNames(list)).toEqual(
        expect.arrayContaining(['status', 'category', 'reviewer', 'createdFrom', 'createdTo']),
      );
      expect(parameterNames(list)).toEqual(expect.arrayContaining(['limit', 'cursor']));
      const page = resolve<SchemaObject>({ $ref: '#/components/schemas/ApplicationPage' });
      expect(page.required).toEqual(['items', 'nextCursor']);
    });

    it('the problem schema has the RFC 9457 members and field errors', () => {
      const problem = resolve<SchemaObject>({ $ref: '#/components/schemas/Problem' });
      expect(Object.keys(problem.properties!)).toEqual([
        'type',
        'title',
        'status',
        'detail',
        'code',
        'errors',
      ]);
      const field = resolve<SchemaObject>({ $ref: '#/components/schemas/FieldProblem' });
      expect(Object.keys(field.properties!)).toEqual(['field', 'code', 'message']);
    });
  });

  describe('examples pass the service’s own validation', () => {
    type Body = { schema: z.ZodTypeAny; example?: unknown };
    const bodies = services.flatMap(({ service, routes }) =>
      routes.flatMap((route: RouteConfig) => {
        const body = route.request?.body?.content['application/json'] as Body | undefined;
        return body ? [{ name: `${service}: ${route.method} ${route.path}`, ...body }] : [];
      }),
    );
    const applicationBodies = bodies.filter((b) => b.name.startsWith('applications:'));

    it('every applications body has an example', () => {
      expect(applicationBodies.length).toBeGreaterThanOrEqual(8);
      expect(applicationBodies.filter((b) => b.example === undefined)).toEqual([]);
    });

    it.each(bodies.filter((b) => b.example !== undefined))('$name', ({ schema, example }) => {
      expect(() => validateBody(schema, example)).not.toThrow();
    });

    it('a create body with every documented property is accepted (names match the strict schema)', () => {
      const create = resolve<SchemaObject>({
        $ref: '#/components/schemas/CreateApplicationRequest',
      });
      const { schema, example } = bodies.find(
        (b) => b.name === 'applications: post /v1/applications',
      )!;
      expect(Object.keys(example as object).sort()).toEqual(Object.keys(create.properties!).sort());
      expect(() => validateBody(schema, example)).not.toThrow();
    });

    it('the documented bodies without examples are accepted too', () => {
      expect(() => validateBody(withdrawApplicationBody, { reason: 'pivot' })).not.toThrow();
      expect(() => validateBody(withdrawApplicationBody, undefined)).not.toThrow();
      expect(() =>
        validateBody(submitReviewBody, { conflictOfInterest: true, comment: 'advisor' }),
      ).not.toThrow();
      expect(() =>
        validateBody(decisionBody(), { decision: 'request_changes', reason: 'budget' }),
      ).not.toThrow();
    });
  });

  describe('every documented request limit is enforced by the route’s own schema (every service)', () => {
    // The e2e walk (test/openapi.e2e.spec.ts) sends these through the running services; this
    // one holds every service's schemas to their document without starting anything.
    const assets = createAssetRegistry({ network: 'local' });
    const routes = new Map<string, RouteConfig>(
      [...services.map(({ routes: list }) => list), auditRoutes].flatMap((list) =>
        list.map((route) => [`${route.method} ${route.path}`, route] as const),
      ),
    );
    const cases = limitCases(doc as never, {
      decimals: (asset) => assets.find(asset)?.decimals,
    }).filter((c) => c.location !== 'header'); // headers are parsed by controllers, not schemas
    const pathOf = (url: string) =>
      Object.keys(doc.paths).find((p) =>
        new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(url),
      )!;

    it('reaches the applications routes and the other services’ routes with examples', () => {
      expect(cases.some((c) => c.url.startsWith('/v1/applications'))).toBe(true);
    });

    it.each(
      cases.map((c) => [`${c.operationId} ${c.location} ${c.field} past ${c.limit}`, c] as const),
    )('%s', (_, c: LimitCase) => {
      const route = routes.get(`${c.method} ${pathOf(c.url)}`)!;
      const schema =
        c.location === 'body'
          ? (route.request!.body!.content['application/json']!.schema as z.ZodTypeAny)
          : (route.request!.query as unknown as z.ZodTypeAny);
      let caught: unknown;
      try {
        validateBody(schema, c.location === 'body' ? c.body : c.query);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ValidationProblem);
      expect((caught as ValidationProblem).errors!.map((e) => e.field)).toContain(c.field);
    });
  });
});

describe('OpenAPI document: audit routes', () => {
  it('documents every route of the services’ AuditController, each routed or answered', () => {
    const routes = controllerRoutes(AuditController);
    expect(routes.filter((route) => !documented.has(route))).toEqual([]);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /v1/audit/streams/{streamId}',
        'POST /v1/audit/verify',
        'POST /v1/audit/verify/{service}',
      ]),
    );
    for (const prefix of ['application', 'grant', 'milestone', 'disbursement', 'payout']) {
      expect(routeFor(`/v1/audit/streams/${prefix}-0b6c7a4e`)).toBeDefined();
    }
    expect(isAuditVerify('POST', '/v1/audit/verify')).toBe(true);
    expect(routeFor('/v1/audit/verify')).toBeUndefined();
  });
});
