import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { quoteIdent, sqlMigration, type MigrationClass } from './database';
import { ProblemError, toProblem } from './problem';
import { PG_POOL, SERVICE_CONTEXT, type ServiceContext } from './tokens';

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
  ];
}

/**
 * `Idempotency-Key` on mutations: the first request with a key runs and its answer is stored; a
 * repeat with the same key and the same request gets the stored answer without running again; the
 * same key with a different request is a 422; a repeat while the first still runs is a 409.
 * Keys are scoped per caller (`request.user.sub`, else anonymous). Server errors are not stored,
 * so the caller can retry them.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly table: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) service: ServiceContext,
  ) {
    this.table = `${quoteIdent(service.schema ?? 'public')}.idempotency_keys`;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: { sub?: string } }>();
    const response = http.getResponse<Response>();
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (request.method === 'GET' || key === undefined) return next.handle();
    return from(this.run(request, response, key, next));
  }

  private async run(
    request: Request & { user?: { sub?: string } },
    response: Response,
    key: string | string[],
    next: CallHandler,
  ): Promise<unknown> {
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new ProblemError(
        HttpStatus.BAD_REQUEST,
        'invalid_idempotency_key',
        'Idempotency-Key must be 1–200 visible ASCII characters',
      );
    }
    const principal = request.user?.sub ?? 'anonymous';
    const path = request.originalUrl.split('?')[0];
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');

    const claimed = await this.pool.query(
      `INSERT INTO ${this.table} (principal, key, method, path, request_hash)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [principal, key, request.method, path, requestHash],
    );
    if (claimed.rowCount === 0) return this.replay(principal, key, requestHash, response);

    try {
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const location = response.getHeader('location');
      await this.pool.query(
        `UPDATE ${this.table} SET status_code = $3, response_body = $4, location = $5
         WHERE principal = $1 AND key = $2`,
        [
          principal,
          key,
          response.statusCode,
          JSON.stringify(body ?? null),
          typeof location === 'string' ? location : null,
        ],
      );
      return body;
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status >= 500 || problem.status === 409) {
        // Not a final answer: free the key so the caller can retry.
        await this.pool.query(`DELETE FROM ${this.table} WHERE principal = $1 AND key = $2`, [
          principal,
          key,
        ]);
      } else {
        await this.pool.query(
          `UPDATE ${this.table} SET status_code = $3, response_body = $4
           WHERE principal = $1 AND key = $2`,
          [principal, key, problem.status, JSON.stringify(problem)],
        );
      }
      throw error;
    }
  }

  private async replay(
    principal: string,
    key: string,
    requestHash: string,
    response: Response,
  ): Promise<unknown> {
    const { rows } = await this.pool.query<{
      request_hash: string;
      status_code: number | null;
      response_body: unknown;
      location: string | null;
    }>(
      `SELECT request_hash, status_code, response_body, location FROM ${this.table}
       WHERE principal = $1 AND key = $2`,
      [principal, key],
    );
    const stored = rows[0];
    if (!stored) {
      throw new ProblemError(409, 'idempotency_key_in_use', 'retry: the first request just ended');
    }
    if (stored.request_hash !== requestHash) {
      throw new ProblemError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'idempotency_key_reused',
        'this Idempotency-Key was used for a different request',
      );
    }
    if (stored.status_code === null) {
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
