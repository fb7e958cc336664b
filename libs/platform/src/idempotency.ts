import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  type NestInterceptor,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { quoteIdent, sqlMigration, type MigrationClass } from './database';
import { ProblemError, toProblem } from './problem';
import type { BaseConfig } from './config';
import { PG_POOL, SERVICE_CONFIG, SERVICE_CONTEXT, type ServiceContext } from './tokens';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** Table behind {@link IdempotencyInterceptor}, in the service's own schema. */
export function idempotencyMigrations(schema: string): MigrationClass[] {
  const s = quoteIdent(schema);
  return [
    sqlMigration('IdempotencyKeys1764100000100', [
      `CREATE TABLE IF NOT EXISTS ${s}.idempotency_keys (
         principal text NOT NULL,
         key text NOT NULL,
         method text NOT NULL,
         path text NOT NULL,
         request_hash text NOT NULL,
         status_code int,
         response_body jsonb,
         location text,
         created_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (principal, key))`,
    ]),
    // Scope (identity, method, path), a lease on unanswered claims, and a purge by age.
    sqlMigration('IdempotencyScopeAndLease1764633600100', [
      `ALTER TABLE ${s}.idempotency_keys
         ADD COLUMN IF NOT EXISTS claimed_at timestamptz NOT NULL DEFAULT now()`,
      `ALTER TABLE ${s}.idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_pkey`,
      `ALTER TABLE ${s}.idempotency_keys ADD PRIMARY KEY (principal, method, path, key)`,
      `CREATE INDEX IF NOT EXISTS idempotency_keys_created_at_idx
         ON ${s}.idempotency_keys (created_at)`,
    ]),
  ];
}

/** Who is asking, as (issuer, sub) — the same key as `identityOf` in @lib/auth. */
type Caller = Request & { user?: { sub?: string; issuer?: string } };

const principalOf = (request: Caller): string =>
  request.user?.sub ? JSON.stringify([request.user.issuer ?? '', request.user.sub]) : 'anonymous';

/**
 * Answers that are about the request rather than a result of running it: malformed, not
 * authenticated or allowed, not found, a failed precondition or a concurrent conflict. Nothing
 * ran, so nothing is kept (Stripe keeps only results of an endpoint that started executing):
 * a retry with the same key runs afresh, and a stream of bad requests adds no rows.
 */
const NOT_A_RESULT = new Set([400, 401, 403, 404, 405, 409, 412, 413, 415, 429]);

export interface IdempotencySettings {
  /** An unanswered claim older than this belongs to a process that died; it may be reclaimed. */
  leaseSeconds: number;
  /** Keys older than this are forgotten (and purged). */
  retentionHours: number;
}

/**
 * `Idempotency-Key` on mutations, with Stripe's semantics. Keys are scoped per caller
 * ((issuer, sub) of `request.user`, else anonymous), method and path. The first request with a
 * key runs and its answer is stored; a repeat with the same request gets the stored answer with
 * `Idempotent-Replayed: true` without running again; the same key with a different request is a
 * 422 naming the key; a repeat while the first still runs is a 409 with `Retry-After` (the
 * seconds left of the claim's lease, at least 1), until the lease (IDEMPOTENCY_LEASE_SECONDS,
 * 60 s) runs out — then the claim was left by a process that died (or by a request whose
 * database went away before it could release it) and the repeat runs. Server errors and answers
 * in NOT_A_RESULT are not stored. Keys older than IDEMPOTENCY_RETENTION_HOURS (24 h) are purged.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly table: string;
  private readonly settings: IdempotencySettings;
  private lastPurge = 0;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) service: ServiceContext,
    @Optional() @Inject(SERVICE_CONFIG) config?: Partial<BaseConfig>,
  ) {
    this.table = `${quoteIdent(service.schema ?? 'public')}.idempotency_keys`;
    this.settings = {
      leaseSeconds: config?.IDEMPOTENCY_LEASE_SECONDS ?? 60,
      retentionHours: config?.IDEMPOTENCY_RETENTION_HOURS ?? 24,
    };
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<Caller>();
    const response = http.getResponse<Response>();
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (request.method === 'GET' || key === undefined) return next.handle();
    return from(this.run(request, response, key, next));
  }

  /** Deletes keys older than the retention; returns how many. Runs by itself every few minutes. */
  async purgeExpired(now = new Date()): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM ${this.table} WHERE created_at < $1::timestamptz - make_interval(hours => $2)`,
      [now, this.settings.retentionHours],
    );
    return result.rowCount ?? 0;
  }

  private purgeNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    this.purgeExpired().catch(() => undefined); // best effort; the next window tries again
  }

  private async run(
    request: Caller,
    response: Response,
    key: string | string[],
    next: CallHandler,
  ): Promise<unknown> {
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new ProblemError(
        HttpStatus.BAD_REQUEST,
        'invalid_idempotency_key',
        'Idempotency-Key must be 1–200 visible ASCII characters',
        [
          {
            field: 'Idempotency-Key',
            code: 'invalid_idempotency_key',
            message: 'must be 1–200 visible ASCII characters',
          },
        ],
      );
    }
    this.purgeNowAndThen();
    const scope: Scope = {
      principal: principalOf(request),
      method: request.method,
      path: request.originalUrl.split('?')[0],
      key,
    };
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');

    // A new claim, or taking over one that is past retention, or an unanswered one whose lease
    // ran out (its process died) for the same request.
    const claimed = await this.pool.query(
      `INSERT INTO ${this.table} AS t (principal, method, path, key, request_hash)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (principal, method, path, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, status_code = NULL, response_body = NULL,
             location = NULL, created_at = now(), claimed_at = now()
         WHERE t.created_at < now() - make_interval(hours => $6)
            OR (t.status_code IS NULL AND t.request_hash = EXCLUDED.request_hash
                AND t.claimed_at < now() - make_interval(secs => $7))`,
      [
        ...scopeParams(scope),
        requestHash,
        this.settings.retentionHours,
        this.settings.leaseSeconds,
      ],
    );
    if (claimed.rowCount === 0) return this.replay(scope, requestHash, response);

    try {
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const location = response.getHeader('location');
      await this.pool.query(
        `UPDATE ${this.table} SET status_code = $5, response_body = $6, location = $7
         WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4`,
        [
          ...scopeParams(scope),
          response.statusCode,
          JSON.stringify(body ?? null),
          typeof location === 'string' ? location : null,
        ],
      );
      return body;
    } catch (error) {
      const problem = toProblem(error);
      if (
        problem.status >= 500 ||
        NOT_A_RESULT.has(problem.status) ||
        problem.code === 'validation_failed'
      ) {
        // Not a result: free the key so the caller can retry, and keep no row for it.
        await this.pool.query(
          `DELETE FROM ${this.table} WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4`,
          scopeParams(scope),
        );
      } else {
        await this.pool.query(
          `UPDATE ${this.table} SET status_code = $5, response_body = $6
           WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4`,
          [...scopeParams(scope), problem.status, JSON.stringify(problem)],
        );
      }
      throw error;
    }
  }

  private async replay(scope: Scope, requestHash: string, response: Response): Promise<unknown> {
    const { rows } = await this.pool.query<{
      request_hash: string;
      status_code: number | null;
      response_body: unknown;
      location: string | null;
      lease_left: number;
    }>(
      `SELECT request_hash, status_code, response_body, location,
         ceil(extract(epoch FROM claimed_at + make_interval(secs => $5) - now()))::int AS lease_left
       FROM ${this.table}
       WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4`,
      [...scopeParams(scope), this.settings.leaseSeconds],
    );
    const stored = rows[0];
    if (!stored) {
      response.setHeader('Retry-After', '1');
      throw new ProblemError(409, 'idempotency_key_in_use', 'retry: the first request just ended');
    }
    if (stored.request_hash !== requestHash) {
      throw new ProblemError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'idempotency_key_reused',
        `Idempotency-Key "${scope.key}" was used for a different request`,
        [
          {
            field: 'Idempotency-Key',
            code: 'idempotency_key_reused',
            message: `"${scope.key}" was already used with another body or query`,
          },
        ],
      );
    }
    if (stored.status_code === null) {
      // When a retry could run: at the latest when the claim's lease runs out (a first request
      // that failed while the database was down could not release its claim).
      response.setHeader('Retry-After', String(Math.max(1, stored.lease_left)));
      throw new ProblemError(
        HttpStatus.CONFLICT,
        'idempotency_key_in_use',
        'a request with this Idempotency-Key is still being processed',
      );
    }
    response.setHeader('idempotent-replayed', 'true');
    if (stored.location) response.setHeader('location', stored.location);
    if (stored.status_code >= 400) {
      const body = stored.response_body as { code?: string; detail?: string; errors?: never };
      throw new ProblemError(
        stored.status_code,
        body.code ?? 'error',
        body.detail ?? '',
        body.errors,
      );
    }
    response.status(stored.status_code);
    return stored.response_body;
  }
}

interface Scope {
  principal: string;
  method: string;
  path: string;
  key: string;
}

const scopeParams = (scope: Scope) => [scope.principal, scope.method, scope.path, scope.key];

const PURGE_EVERY_MS = 5 * 60_000;
