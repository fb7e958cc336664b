import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problemBody } from '@lib/platform';
import { ProxyMiddleware, type UpstreamFailure } from './proxy.middleware';
import { routeFor, type Upstream } from './route-table';

/** `<aggregate>-<id…>`, as the services' audit controller validates it. */
export const auditStreamIdSchema = z
  .string()
  .max(300)
  .regex(/^[a-z][a-z0-9]*(-[A-Za-z0-9]+)+$/, 'a stream id like application-<uuid>');

/** The body of `POST /v1/audit/verify` at the gateway (absent or `{}`: every service). */
export const auditVerifyBodySchema = z
  .object({
    streamId: auditStreamIdSchema
      .optional()
      .describe('verify only this stream, at the service that owns it (by its prefix)'),
  })
  .strict()
  .openapi('AuditVerifyRequest');

/** The name each upstream answers to in `POST /v1/audit/verify/{service}`. */
export const AUDIT_SERVICE_NAMES: Record<Upstream, string> = {
  applications: 'applications',
  grants: 'grants',
  milestones: 'milestones',
  disbursements: 'disbursements',
  settlement: 'near-settlement',
};

const MAX_BODY_BYTES = 16 * 1024;

/** Whether the gateway answers this request itself (the bare, all-services verify). */
export function isAuditVerify(method: string | undefined, url: string): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return method === 'POST' && (path === '/v1/audit/verify' || path === '/v1/audit/verify/');
}

interface UpstreamAnswer {
  status: number;
  contentType: string;
  body: string;
}

type Outcome = { answer: UpstreamAnswer } | { failed: UpstreamFailure };

/**
 * `POST /v1/audit/verify`: with `{ streamId }` the owning service's verify of that stream (by the
 * stream id's prefix, the table the streams route uses), answered as that service answers; without,
 * every service's `POST /v1/audit/verify/{service}` at once, merged into
 * `{ ok, services: [{ service, ok, ...result }] }`. The services check the admin role: any 401 or
 * 403 is the answer. A service that does not answer with a result (down, timeout, 5xx) makes the
 * whole answer a 502 problem naming it (`unavailable`), with the results that did come in
 * (`services`): a verify that skipped a schema is not a clean bill.
 */
@Injectable()
export class AuditVerifyHandler {
  constructor(private readonly proxy: ProxyMiddleware) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    readBody(req)
      .then((raw) => this.answer(req, res, raw))
      .catch(() => {
        if (!res.headersSent) send(res, 400, problemBody(400, 'invalid_body', 'unreadable body'));
      });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, raw: string | undefined) {
    if (raw === undefined) {
      return send(res, 400, problemBody(400, 'invalid_body', `body over ${MAX_BODY_BYTES} bytes`));
    }
    let value: unknown = {};
    if (raw.trim() !== '') {
      try {
        value = JSON.parse(raw);
      } catch {
        return send(res, 400, problemBody(400, 'invalid_json', 'the body is not JSON'));
      }
    }
    const parsed = auditVerifyBodySchema.safeParse(value ?? {});
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
        code: issue.code,
        message: issue.message,
      }));
      return send(res, 400, problemBody(400, 'validation_failed', 'invalid body', errors));
    }
    const headers = this.headers(req);
    const { streamId } = parsed.data;
    if (streamId !== undefined) {
      const owner = routeFor(`/v1/audit/streams/${streamId}`);
      if (!owner) {
        return send(
          res,
          404,
          problemBody(404, 'stream_not_found', `no service owns streams like ${streamId}`),
        );
      }
      const outcome = await this.call(owner, '/v1/audit/verify', headers, { streamId });
      if ('failed' in outcome) {
        return send(res, 502, unavailable([owner], []));
      }
      res.writeHead(outcome.answer.status, {
        'content-type': outcome.answer.contentType,
        'content-length': Buffer.byteLength(outcome.answer.body),
      });
      return res.end(outcome.answer.body);
    }

    const names = Object.keys(AUDIT_SERVICE_NAMES) as Upstream[];
    const outcomes = await Promise.all(
      names.map((name) =>
        this.call(name, `/v1/audit/verify/${AUDIT_SERVICE_NAMES[name]}`, headers, {}),
      ),
    );
    const answered = outcomes.flatMap((o) => ('answer' in o ? [o.answer] : []));
    for (const status of [401, 403]) {
      const refusal = answered.find((a) => a.status === status);
      if (refusal) {
        const upstream = parseJson(refusal.body) as { code?: unknown; detail?: unknown } | null;
        return send(
          res,
          status,
          problemBody(
            status,
            typeof upstream?.code === 'string' ? upstream.code : 'forbidden',
            typeof upstream?.detail === 'string' ? upstream.detail : undefined,
          ),
        );
      }
    }
    const services: Record<string, unknown>[] = [];
    const missing: Upstream[] = [];
    outcomes.forEach((outcome, index) => {
      const result =
        'answer' in outcome && outcome.answer.status === 200
          ? parseJson(outcome.answer.body)
          : null;
      if (result && typeof result === 'object' && !Array.isArray(result)) {
        const { ok } = result as { ok?: unknown };
        services.push({ ...result, service: AUDIT_SERVICE_NAMES[names[index]], ok: ok === true });
      } else {
        missing.push(names[index]);
      }
    });
    if (missing.length > 0) return send(res, 502, unavailable(missing, services));
    send(res, 200, { ok: services.every((s) => s.ok === true), services });
  }

  private headers(req: IncomingMessage): OutgoingHttpHeaders {
    return {
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...this.proxy.clientHeaders(req),
      'content-type': 'application/json',
      accept: 'application/json',
    };
  }

  private call(
    upstream: Upstream,
    path: string,
    headers: OutgoingHttpHeaders,
    body: object,
  ): Promise<Outcome> {
    const payload = JSON.stringify(body);
    return new Promise((resolve) => {
      const outgoing = this.proxy.open(
        upstream,
        {
          method: 'POST',
          path,
          headers: { ...headers, 'content-length': Buffer.byteLength(payload) },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('error', () => resolve({ failed: 'upstream_unavailable' }));
          answer.on('end', () =>
            resolve({
              answer: {
                status: answer.statusCode ?? 502,
                contentType: String(answer.headers['content-type'] ?? 'application/json'),
                body: Buffer.concat(chunks).toString('utf8'),
              },
            }),
          );
        },
        (failed) => resolve({ failed }),
      );
      outgoing.end(payload);
    });
  }
}

function unavailable(missing: Upstream[], services: Record<string, unknown>[]) {
  const named = missing.map((m) => AUDIT_SERVICE_NAMES[m]);
  return {
    ...problemBody(
      502,
      'upstream_unavailable',
      `audit verify incomplete: ${named.join(', ')} did not answer with a result`,
    ),
    unavailable: named,
    services,
  };
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': `${status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json'}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The request body as text, or undefined when it is over the limit. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
