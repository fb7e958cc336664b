import 'reflect-metadata';
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
import { HealthController } from '@lib/platform';
// Tests may cross service boundaries: the document must match what the applications service does.
import { ApplicationController } from '../../../applications/src/application/application.controller';
import {
  assignReviewersBody,
  createApplicationBody,
  decisionBody,
  editApplicationBody,
  submitReviewBody,
  validateBody,
  withdrawApplicationBody,
} from '../../../applications/src/application/application.dto';
import { SignInController } from '../../../applications/src/signin/signin.controller';
import { routeFor } from '../proxy/route-table';
import { openApiDocument as doc } from './document';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
type Method = (typeof METHODS)[number];

const operations = Object.entries(doc.paths).flatMap(([path, item]: [string, PathItemObject]) =>
  METHODS.filter((m) => item[m]).map((method) => ({
    path,
    method,
    operation: item[method] as OperationObject,
  })),
);

/** `METHOD /path` of every handler of a Nest controller class, in OpenAPI path syntax. */
function controllerRoutes(controller: Type): string[] {
  const join = (...parts: string[]) =>
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
      const path = join(base, Reflect.getMetadata(PATH_METADATA, handler) as string);
      return `${RequestMethod[method]} ${path.replace(/:(\w+)/g, '{$1}')}`;
    });
}

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

  describe('against the gateway and the services', () => {
    it.each(operations.filter((o) => o.path.startsWith('/v1/')))(
      'the route table sends $method $path to a service',
      ({ path }) => {
        const concrete = path.replace(/\{[^}]+\}/g, '0b6c7a4e-1f0e-4c57-9e0e-4c2f3f7f2a11');
        expect(routeFor(concrete)).toBeDefined();
      },
    );

    it('documents outside /v1 only what the gateway answers itself (health)', () => {
      const own = new Set(controllerRoutes(HealthController));
      const outside = [...documented].filter((route) => !route.split(' ')[1].startsWith('/v1/'));
      expect(outside.filter((route) => !own.has(route))).toEqual([]);
    });

    it.each([
      ['ApplicationController', ApplicationController, 'applications'],
      ['SignInController', SignInController, 'applications'],
      ['HealthController', HealthController, undefined],
    ] as const)('every route of %s is documented (and routed there)', (_, controller, upstream) => {
      const routes = controllerRoutes(controller);
      expect(routes.length).toBeGreaterThan(0);
      expect(routes.filter((route) => !documented.has(route))).toEqual([]);
      for (const route of routes) {
        const concrete = route.split(' ')[1].replace(/\{[^}]+\}/g, 'x');
        expect(routeFor(concrete)).toBe(upstream);
      }
    });

    it('does not document routes that are not built yet', () => {
      expect([...documented].filter((r) => /grants|disbursements|treasury|audit/.test(r))).toEqual(
        [],
      );
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
    const parameterNames = (operation: OperationObject) =>
      (operation.parameters ?? []).map((p) => resolve<ParameterObject>(p).name);

    it.each(v1.filter((o) => isMutation(o.method) && o.path.startsWith('/v1/applications')))(
      '$method $path accepts Idempotency-Key',
      ({ operation }) => {
        expect(parameterNames(operation)).toContain('Idempotency-Key');
      },
    );

    it.each(v1.filter((o) => isMutation(o.method) && o.path.includes('{id}')))(
      '$method $path accepts If-Match and answers 409',
      ({ operation }) => {
        expect(parameterNames(operation)).toContain('If-Match');
        expect(operation.responses['409']).toBeDefined();
      },
    );

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
    const now = new Date('2026-11-26T12:00:00Z');
    const example = (name: string): unknown =>
      resolve<SchemaObject>({ $ref: `#/components/schemas/${name}` }).example;

    it.each([
      ['CreateApplicationRequest', createApplicationBody({ now })],
      ['EditApplicationRequest', editApplicationBody({ now })],
      ['AssignReviewersRequest', assignReviewersBody],
      ['ReviewSubmission', submitReviewBody],
      ['ApproveDecision', decisionBody()],
    ] as const)('%s', (name, schema) => {
      expect(example(name)).toBeDefined();
      expect(() => validateBody(schema, example(name))).not.toThrow();
    });

    it('a create body with every documented property is accepted (names match the strict schema)', () => {
      const create = resolve<SchemaObject>({
        $ref: '#/components/schemas/CreateApplicationRequest',
      });
      const body = { ...(example('CreateApplicationRequest') as object), links: ['https://x.org'] };
      expect(Object.keys(body).sort()).toEqual(Object.keys(create.properties!).sort());
      expect(() => validateBody(createApplicationBody({ now }), body)).not.toThrow();
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
});
