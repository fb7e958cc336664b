import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problemResponse } from '@lib/platform';
import { auditStreamIdSchema, auditVerifyBodySchema } from '../proxy/audit-verify';

// The audit routes every service with an event store answers (@lib/platform's AuditController),
// and the gateway's own all-services verify (proxy/audit-verify.ts). Admin only.

const streamParams = z.object({
  streamId: auditStreamIdSchema.openapi({
    param: { name: 'streamId', in: 'path' },
    example: 'application-0b6c7a4e-1f0e-4c57-9e0e-4c2f3f7f2a11',
    description:
      'The aggregate prefix picks the owning service: application-, grant-, milestone-, ' +
      'disbursement-, payout-.',
  }),
});

const serviceParams = z.object({
  service: z
    .enum(['applications', 'grants', 'milestones', 'disbursements', 'near-settlement'])
    .openapi({ param: { name: 'service', in: 'path' } }),
});

const chainCheck = z.object({
  intact: z.boolean(),
  brokenAt: z
    .object({
      streamVersion: z.number().int(),
      eventId: z.string().nullable(),
      reason: z.string(),
    })
    .optional(),
});

const auditEvent = z.object({
  eventId: z.string().uuid(),
  type: z.string(),
  schemaVersion: z.number().int(),
  streamVersion: z.number().int(),
  globalPosition: z.string().describe('bigint as a decimal string'),
  occurredAt: z.string().datetime(),
  recordedAt: z.string().datetime(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  actor: z.string(),
  data: z.record(z.unknown()),
  prevHash: z.string().describe('hex SHA-256 of the previous event (64 zeros for the first)'),
  hash: z.string().describe('hex SHA-256 over prevHash and the canonical event'),
});

const auditStream = z
  .object({
    service: z.string(),
    schema: z.string(),
    streamId: z.string(),
    version: z.number().int(),
    chain: chainCheck,
    events: z.array(auditEvent),
  })
  .openapi('AuditStream');

const brokenLink = z.object({
  streamId: z.string(),
  streamVersion: z.number().int(),
  eventId: z.string().nullable(),
  reason: z.string(),
});

const serviceVerify = z
  .object({
    service: z.string(),
    schema: z.string(),
    ok: z.boolean().describe('every hash chain checked holds'),
    streamsChecked: z.number().int(),
    eventsChecked: z.number().int(),
    broken: z.array(brokenLink),
  })
  .openapi('AuditServiceVerification');

const mergedVerify = z
  .object({
    ok: z.boolean().describe('every service answered ok'),
    services: z.array(serviceVerify),
  })
  .openapi('AuditVerification');

const adminOnly = {
  '403': problemResponse('Not an admin (`role_required`).'),
  '422': problemResponse('Malformed stream id or body; `errors` lists each field.'),
};

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** One stream to verify (a grant's); without a body every stream of every service is checked. */
const VERIFY_EXAMPLE = { streamId: 'grant-3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b' };

export const auditRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/v1/audit/streams/{streamId}',
    operationId: 'getAuditStream',
    tags: ['audit'],
    summary: 'Every event of one stream with its hash links, and whether the chain holds (admin)',
    request: { params: streamParams },
    responses: {
      '200': json(auditStream, 'The stream, from the service that owns it.'),
      ...adminOnly,
      '404': problemResponse('No such stream, or no service owns the prefix.'),
    },
  },
  {
    method: 'post',
    path: '/v1/audit/verify',
    operationId: 'verifyAudit',
    tags: ['audit'],
    summary: 'Verify the hash chains of every service, or of one stream (admin)',
    description:
      'Answered by the gateway. Without a body (or `{}`), calls every service’s ' +
      '`POST /v1/audit/verify/{service}` with the caller’s token and correlation id and merges ' +
      'the results; any 401/403 from a service is the answer; a service that does not answer ' +
      'with a result makes it a 502 problem naming it in `unavailable`, with the results that ' +
      'came in under `services`. With `{ streamId }`, the owning service’s result for that ' +
      'stream (`AuditServiceVerification`).',
    request: {
      body: {
        required: false,
        content: { 'application/json': { schema: auditVerifyBodySchema, example: VERIFY_EXAMPLE } },
      },
    },
    responses: {
      '200': {
        description: 'Merged result (no streamId) or the owning service’s result (streamId).',
        content: { 'application/json': { schema: z.union([mergedVerify, serviceVerify]) } },
      },
      '400': problemResponse('Not JSON, or not `{ streamId? }`; `errors` lists each field.'),
      '403': problemResponse('Not an admin (`role_required`).'),
      '404': problemResponse('No service owns streams with that prefix.'),
    },
  },
  {
    method: 'post',
    path: '/v1/audit/verify/{service}',
    operationId: 'verifyServiceAudit',
    tags: ['audit'],
    summary: 'Verify the hash chains of one service’s schema, or one of its streams (admin)',
    request: {
      params: serviceParams,
      body: {
        required: false,
        content: { 'application/json': { schema: auditVerifyBodySchema, example: VERIFY_EXAMPLE } },
      },
    },
    responses: {
      '200': json(serviceVerify, 'The service’s verification result.'),
      ...adminOnly,
      '404': problemResponse('Unknown stream.'),
    },
  },
];
