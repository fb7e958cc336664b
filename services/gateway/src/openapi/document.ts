import type { OpenAPIObject, PathsObject, SchemaObject } from '@nestjs/swagger';
import { applicationsPaths, applicationsSchemas } from './applications.paths';
import { components, ref } from './components';

// Every service answers these itself; through the gateway they describe the gateway.
const healthPaths: PathsObject = {
  '/health/live': {
    get: {
      tags: ['operations'],
      operationId: 'liveness',
      summary: 'The process is up',
      security: [],
      responses: {
        '200': {
          description: 'Alive.',
          content: { 'application/json': { schema: ref('Liveness') } },
        },
      },
    },
  },
  '/health/ready': {
    get: {
      tags: ['operations'],
      operationId: 'readiness',
      summary: 'PostgreSQL (with the service schema) and Kafka answer',
      security: [],
      responses: {
        '200': {
          description: 'Ready.',
          content: { 'application/json': { schema: ref('Readiness') } },
        },
        '503': {
          description: 'Not ready; `error` and `details` name the failing dependency.',
          content: { 'application/json': { schema: ref('Readiness') } },
        },
      },
    },
  },
};

const indicators: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
  },
};

const healthSchemas: Record<string, SchemaObject> = {
  Liveness: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  },
  Readiness: {
    type: 'object',
    description: 'Terminus health check result.',
    required: ['status'],
    properties: {
      status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
      info: indicators,
      error: indicators,
      details: indicators,
    },
  },
};

/**
 * The public API v1 as served by the gateway: one hand-written document for every upstream.
 * Only routes that exist are listed; `openapi/document.spec.ts` holds it to the route table and to
 * the applications service's controllers.
 */
export const openApiDocument: OpenAPIObject = {
  openapi: '3.0.3',
  info: {
    title: 'Incubator API',
    version: '1.0.0',
    description:
      'Founders apply for funding; staff review and decide. Every request goes through the ' +
      'gateway, which routes `/v1/...` to the owning service and does not authenticate; each ' +
      'service checks the bearer token and roles itself.\n\n' +
      'Errors are `application/problem+json` (RFC 9457) with a stable `code`; bad input is a ' +
      '400/422 listing every field problem in `errors`. Mutations accept `Idempotency-Key`; ' +
      'changes to an existing application accept `If-Match` with the version from `ETag`. ' +
      'Amounts are decimal strings in the asset (`"2500.5"`). Lists are paginated with `limit` ' +
      'and `cursor`.',
  },
  servers: [{ url: '/', description: 'This gateway' }],
  tags: [
    { name: 'auth', description: 'Founder sign-in with a NEAR account (NEP-413).' },
    { name: 'applications', description: 'Funding applications and their review.' },
    { name: 'operations', description: 'Health.' },
  ],
  security: [{ bearer: [] }],
  paths: { ...applicationsPaths, ...healthPaths },
  components: {
    ...components,
    schemas: { ...components.schemas, ...applicationsSchemas, ...healthSchemas },
  },
};
