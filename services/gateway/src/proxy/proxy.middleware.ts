import {
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
  type ServerResponse,
} from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import {
  CORRELATION_HEADER,
  correlationIdFrom,
  PROBLEM_CONTENT_TYPE,
  problemBody,
  SERVICE_CONFIG,
} from '@lib/platform';
import type { GatewayConfig } from '../config';
import { clientAddress } from './client-address';
import { routeFor, upstreamUrls, type Upstream } from './route-table';

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** Why an upstream gave no answer. */
export type UpstreamFailure = 'upstream_unavailable' | 'upstream_timeout';

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  }
  return out;
}

/** A problem+json answer written on the bare node response (no express helpers needed). */
export function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  headers: OutgoingHttpHeaders = {},
): void {
  const body = JSON.stringify(problemBody(status, code, detail));
  res.writeHead(status, {
    ...headers,
    'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Streams `/v1/...` requests to the owning service unchanged (body, auth header, idempotency key)
 * and streams the answer back. The gateway holds no state; services authorise each request.
 * Works on the bare node request/response (it runs ahead of express, see `installProxy`).
 */
@Injectable()
export class ProxyMiddleware {
  private readonly upstreams: Record<Upstream, ReplicaSet>;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: GatewayConfig) {
    const urls = upstreamUrls(config);
    this.upstreams = Object.fromEntries(
      Object.entries(urls).map(([name, url]) => [name, new ReplicaSet(url)]),
    ) as Record<Upstream, ReplicaSet>;
  }

  /** The service that owns `url` (path and query), if any. */
  upstreamOf(url: string): Upstream | undefined {
    const query = url.indexOf('?');
    return routeFor(query === -1 ? url : url.slice(0, query));
  }

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const upstream = this.upstreamOf(req.url ?? '/');
    if (!upstream) return next();
    this.forward(upstream, req, res);
  }

  forward(upstream: Upstream, req: IncomingMessage, res: ServerResponse): void {
    const headers = { ...forwardable(req.headers), ...this.clientHeaders(req) };
    const outgoing = this.open(
      upstream,
      { method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        answer.pipe(res);
      },
      (failure, error) => {
        if (res.headersSent) return res.destroy(error);
        sendProblem(
          res,
          failure === 'upstream_timeout' ? 504 : 502,
          failure,
          `${upstream} service did not answer`,
        );
      },
    );
    req.pipe(outgoing);
  }

  /** What every upstream request says of its client: its correlation id and address. */
  clientHeaders(req: IncomingMessage): OutgoingHttpHeaders {
    return {
      // Only a UUID is kept; any other client text is replaced, so it never reaches stored events.
      [CORRELATION_HEADER]: correlationIdFrom(req.headers[CORRELATION_HEADER]),
      // The services see the client the gateway resolved, never a client-written chain.
      'x-forwarded-for': clientAddress(req, this.config.TRUSTED_PROXY_HOPS),
    };
  }

  /**
   * A request to the next replica of `upstream` under the upstream deadline (the caller writes the
   * body and ends it). A replica that refuses the connection is skipped for a moment; a failure
   * before an answer is `onFailure` with why.
   */
  open(
    upstream: Upstream,
    options: Pick<RequestOptions, 'method' | 'path' | 'headers'>,
    onAnswer: (answer: IncomingMessage) => void,
    onFailure: (failure: UpstreamFailure, error: Error) => void,
  ): ClientRequest {
    const replicas = this.upstreams[upstream];
    const target = replicas.pick();
    const outgoing = httpRequest(
      {
        ...options,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        timeout: this.config.UPSTREAM_TIMEOUT_MS,
      },
      onAnswer,
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') replicas.markDown(target);
      onFailure(
        error.message === 'upstream timeout' ? 'upstream_timeout' : 'upstream_unavailable',
        error,
      );
    });
    return outgoing;
  }
}

/** The replicas of one service: round-robin, skipping for a moment one that refused a connection. */
export class ReplicaSet {
  private readonly urls: URL[];
  private readonly downUntil = new Map<URL, number>();
  private next = 0;

  constructor(
    list: string,
    private readonly downForMs = 1000,
  ) {
    this.urls = list.split(',').map((url) => new URL(url.trim()));
  }

  pick(now = Date.now()): URL {
    for (let tried = 0; tried < this.urls.length; tried++) {
      const url = this.urls[this.next++ % this.urls.length];
      if ((this.downUntil.get(url) ?? 0) <= now) return url;
    }
    return this.urls[this.next++ % this.urls.length];
  }

  markDown(url: URL, now = Date.now()): void {
    this.downUntil.set(url, now + this.downForMs);
  }
}
