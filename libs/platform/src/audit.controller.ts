import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  SetMetadata,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { z } from 'zod';
import { quoteIdent } from './database';
import { ProblemError, ValidationProblem } from './problem';
import { PG_POOL, SERVICE_CONTEXT, type ServiceContext } from './tokens';

/** Route metadata read by @lib/auth's AuthGuard (its `@Roles()` sets the same key). */
const ROLES_METADATA = 'auth:roles';

/** `<aggregate>-<id…>`: lower-case aggregate prefix, then id parts (uuids, tranche numbers). */
const streamIdSchema = z
  .string()
  .max(300)
  .regex(/^[a-z][a-z0-9]*(-[A-Za-z0-9]+)+$/, 'a stream id like application-<uuid>');

const verifyBodySchema = z
  .object({ streamId: streamIdSchema.optional().describe('verify only this stream') })
  .strict()
  .optional();

interface AuditEventRow {
  global_position: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  correlation_id: string;
  causation_id: string | null;
  actor: string;
  occurred_at: Date;
  recorded_at: Date;
  prev_hash: Buffer;
  hash: Buffer;
}

/** Where a stream's chain first breaks, if it does. */
export interface ChainCheck {
  intact: boolean;
  brokenAt?: { streamVersion: number; eventId: string | null; reason: string };
}

// The event store lives in @lib/event-store, which imports this library: load it when a request
// needs it (every module is loaded by then) instead of at import time (a require cycle).
type EventStoreLib = typeof import('@lib/event-store');
const eventStore = (): Promise<EventStoreLib> => import('@lib/event-store');

/**
 * `GET /v1/audit/streams/{streamId}` and `POST /v1/audit/verify[/{service}]` for the service's
 * own schema, admin only. Registered by PlatformModule on every service that owns a schema; the
 * gateway routes a stream to its owner by the stream id's prefix and a verify by service name.
 */
@Controller('v1/audit')
@SetMetadata(ROLES_METADATA, ['admin'])
export class AuditController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
  ) {}

  /** Every event of the stream (data, metadata, hash links) and whether its chain holds. */
  @Get('streams/:streamId')
  async stream(@Param('streamId') rawStreamId: string, @Req() request: unknown) {
    requireAdmin(request);
    const streamId = parse(streamIdSchema, rawStreamId, 'streamId');
    const schema = this.schema();
    const { rows } = await this.pool.query<AuditEventRow>(
      `SELECT global_position::text AS global_position, stream_id, stream_version::text AS stream_version,
              event_id, type, schema_version, data, correlation_id, causation_id, actor,
              occurred_at, recorded_at, prev_hash, hash
       FROM ${quoteIdent(schema)}.events WHERE stream_id = $1 ORDER BY stream_version LIMIT 100000`,
      [streamId],
    );
    if (rows.length === 0) {
      throw new ProblemError(404, 'stream_not_found', `no stream ${streamId} in ${schema}`);
    }
    return {
      service: this.service.name,
      schema,
      streamId,
      version: Number(rows[rows.length - 1].stream_version),
      chain: await checkChain(rows),
      events: rows.map((row) => ({
        eventId: row.event_id,
        type: row.type,
        schemaVersion: row.schema_version,
        streamVersion: Number(row.stream_version),
        globalPosition: row.global_position,
        occurredAt: row.occurred_at.toISOString(),
        recordedAt: row.recorded_at.toISOString(),
        correlationId: row.correlation_id,
        causationId: row.causation_id,
        actor: row.actor,
        data: row.data,
        prevHash: row.prev_hash.toString('hex'),
        hash: row.hash.toString('hex'),
      })),
    };
  }

  /** Walks every hash chain of this service's schema (or one stream) and names each broken link. */
  @Post('verify')
  @HttpCode(200)
  async verify(@Body() body: unknown, @Req() request: unknown) {
    requireAdmin(request);
    const input = parse(verifyBodySchema, isEmptyBody(body) ? undefined : body, '(body)');
    const schema = this.schema();
    if (input?.streamId) {
      const { chain, version } = await this.stream(input.streamId, request);
      return {
        service: this.service.name,
        schema,
        ok: chain.intact,
        streamsChecked: 1,
        eventsChecked: version,
        broken: chain.brokenAt ? [{ streamId: input.streamId, ...chain.brokenAt }] : [],
      };
    }
    const { verifyHashChains } = await eventStore();
    const report = await verifyHashChains(this.pool, schema);
    const broken = [];
    for (const link of report.broken) {
      const { rows } = await this.pool.query<{ event_id: string }>(
        `SELECT event_id FROM ${quoteIdent(schema)}.events WHERE stream_id = $1 AND stream_version = $2`,
        [link.streamId, link.streamVersion],
      );
      broken.push({ ...link, eventId: rows[0]?.event_id ?? null });
    }
    return {
      service: this.service.name,
      schema,
      ok: broken.length === 0,
      streamsChecked: report.streamsChecked,
      eventsChecked: report.eventsChecked,
      broken,
    };
  }

  /** The same, addressed by service name: the form the gateway routes (`/v1/audit/verify/grants`). */
  @Post('verify/:service')
  @HttpCode(200)
  async verifyService(
    @Param('service') service: string,
    @Body() body: unknown,
    @Req() request: unknown,
  ) {
    requireAdmin(request);
    if (service !== this.service.name) {
      throw new ProblemError(
        404,
        'service_not_found',
        `this is ${this.service.name}, not ${service}`,
      );
    }
    return this.verify(body, request);
  }

  private schema(): string {
    if (!this.service.schema) throw new ProblemError(404, 'no_event_store', 'no event store here');
    return this.service.schema;
  }
}

/** Defence in depth: the global AuthGuard enforces the role; refuse too if it did not run. */
function requireAdmin(request: unknown): void {
  const user = (request as { user?: { roles?: readonly string[] } }).user;
  if (!user) throw new ProblemError(401, 'unauthenticated', 'a bearer token is required');
  if (!user.roles?.includes('admin')) {
    throw new ProblemError(403, 'role_required', 'requires one of the roles: admin');
  }
}

function isEmptyBody(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)
  );
}

function parse<S extends z.ZodTypeAny>(schema: S, value: unknown, field: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.infer<S>;
  throw new ValidationProblem(
    result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.join('.') : field,
      code: issue.code,
      message: issue.message,
    })),
  );
}

async function checkChain(rows: AuditEventRow[]): Promise<ChainCheck> {
  const { GENESIS_HASH, canonicalEvent, chainHash } = await eventStore();
  let previous = GENESIS_HASH;
  for (const [index, row] of rows.entries()) {
    const version = Number(row.stream_version);
    const brokenAt = (reason: string): ChainCheck => ({
      intact: false,
      brokenAt: { streamVersion: version, eventId: row.event_id, reason },
    });
    if (version !== index + 1) return brokenAt(`expected version ${index + 1}, found ${version}`);
    if (!row.prev_hash.equals(previous)) {
      return brokenAt('prev_hash is not the hash of the previous event');
    }
    const expected = chainHash(
      previous,
      canonicalEvent({
        streamId: row.stream_id,
        streamVersion: version,
        eventId: row.event_id,
        type: row.type,
        schemaVersion: row.schema_version,
        data: row.data,
        correlationId: row.correlation_id,
        causationId: row.causation_id,
        actor: row.actor,
        occurredAt: row.occurred_at.toISOString(),
      }),
    );
    if (!expected.equals(row.hash)) return brokenAt('hash does not match the stored event');
    previous = row.hash;
  }
  return { intact: true };
}
