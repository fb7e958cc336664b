import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  CORRELATION_HEADER,
  currentCorrelationId,
  PROBLEM_CONTENT_TYPE,
  problemBody,
  SERVICE_CONFIG,
} from '@lib/platform';
import type { GatewayConfig } from '../config';
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

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/**
 * Streams `/v1/...` requests to the owning service unchanged (body, auth header, idempotency key)
 * and streams the answer back. The gateway holds no state; services authorise each request.
 */
@Injectable()
export class ProxyMiddleware implements NestMiddleware {
  private readonly upstreams: Record<Upstream, URL>;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: GatewayConfig) {
    const urls = upstreamUrls(config);
    this.upstreams = Object.fromEntries(
      Object.entries(urls).map(([name, url]) => [name, new URL(url)]),
    ) as Record<Upstream, URL>;
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0];
    const upstream = routeFor(path);
    if (!upstream) return next();
    const target = this.upstreams[upstream];
    const correlationId = currentCorrelationId() ?? randomUUID();

    const outgoing = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.originalUrl,
        headers: {
          ...forwardable(req.headers),
          [CORRELATION_HEADER]: correlationId,
          'x-forwarded-for': req.ip ?? '',
        },
        timeout: this.config.UPSTREAM_TIMEOUT_MS,
      },
      (answer) => {
        res.status(answer.statusCode ?? 502);
        for (const [name, value] of Object.entries(forwardable(answer.headers))) {
          if (value !== undefined) res.setHeader(name, value);
        }
        answer.pipe(res);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.on('error', (error) => {
      if (res.headersSent) return res.destroy(error);
      const timedOut = error.message === 'upstream timeout';
      const status = timedOut ? 504 : 502;
      res
        .status(status)
        .type(PROBLEM_CONTENT_TYPE)
        .send(
          JSON.stringify(
            problemBody(
              status,
              timedOut ? 'upstream_timeout' : 'upstream_unavailable',
              `${upstream} service did not answer`,
            ),
          ),
        );
    });
    req.pipe(outgoing);
  }
}
