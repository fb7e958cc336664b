import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { type FieldProblem, ProblemError } from '@lib/contracts';

// The error classes are framework-free (@lib/contracts) so deciders can throw them.
export { type FieldProblem, ProblemError, ValidationProblem } from '@lib/contracts';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldProblem[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemBody(
  status: number,
  code: string,
  detail?: string,
  errors?: FieldProblem[],
): ProblemBody {
  return {
    type: `https://errors.incubator.example/${code}`,
    title: titles[status] ?? 'Error',
    status,
    code,
    ...(detail ? { detail } : {}),
    ...(errors ? { errors } : {}),
  };
}

/** Maps every error leaving an HTTP handler to problem+json; unknown errors are logged, never leaked. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<Response>();
    const body = toProblem(exception);
    if (body.status >= 500) this.logger.error(exception);
    if (body.code === 'database_unavailable') response.setHeader('Retry-After', '1');
    response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}

export function toProblem(exception: unknown): ProblemBody {
  if (exception instanceof ProblemError) {
    return problemBody(exception.status, exception.code, exception.message, exception.errors);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // body-parser errors (bad JSON, too large) arrive as HttpException subclasses from Nest/express.
    return problemBody(status, codeForStatus(status), exception.message);
  }
  const maybeHttp = exception as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof maybeHttp?.status === 'number' && maybeHttp.status >= 400 && maybeHttp.status < 500) {
    // express body-parser: entity.parse.failed, entity.too.large, charset errors …
    return problemBody(
      maybeHttp.status,
      typeof maybeHttp.type === 'string' ? maybeHttp.type.replace(/\./g, '_') : 'bad_request',
      typeof maybeHttp.message === 'string' ? maybeHttp.message : undefined,
    );
  }
  if (isDatabaseUnavailable(exception)) {
    // PostgreSQL restarting or failing over: a server-side outage, not a bug of ours. The client
    // sends the same request again (with the same Idempotency-Key when it has one).
    return problemBody(503, 'database_unavailable', 'the database is unavailable; retry shortly');
  }
  return problemBody(500, 'internal_error', 'unexpected error; it has been logged');
}

/** Socket-level errors of a lost PostgreSQL connection. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** pg messages for a client whose connection ended under it. */
const CONNECTION_MESSAGES =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect)$/;

/**
 * Whether `error` says PostgreSQL is out of reach rather than that a statement failed: SQLSTATE
 * class 08 (connection exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), a
 * refused/reset socket, or pg's own "connection terminated" errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') && code.length === 5) return true;
    if (code === '57P01' || code === '57P02' || code === '57P03') return true;
    if (CONNECTION_ERRORS.has(code)) return true;
  }
  return CONNECTION_MESSAGES.test(error.message);
}

function codeForStatus(status: number): string {
  return (titles[status] ?? 'error').toLowerCase().replace(/\s+/g, '_');
}
