import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type INestApplication, Module } from '@nestjs/common';
import { AuditVerifyHandler, isAuditVerify } from './audit-verify';
import { ProxyMiddleware } from './proxy.middleware';
import { RateLimitMiddleware } from './rate-limit.middleware';

@Module({ providers: [ProxyMiddleware, RateLimitMiddleware, AuditVerifyHandler] })
export class ProxyModule {}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Rate limit + proxy for the paths a service owns under `/v1`, on the bare HTTP server ahead of
 * express: the proxy hop pays for neither express's request set-up and router nor Nest's request
 * logging, and the service that answers logs the request under the same correlation id. Every
 * `/v1` request is rate limited; the rest (health, API docs) and `/v1` paths no service owns
 * (→ 404 problem) go on to express. `POST /v1/audit/verify` (every service's audit verify, or one
 * stream's at its owner) the gateway answers itself, see AuditVerifyHandler.
 */
export function installProxy(app: INestApplication): void {
  const limit = app.get(RateLimitMiddleware);
  const proxy = app.get(ProxyMiddleware);
  const auditVerify = app.get(AuditVerifyHandler);
  const server = app.getHttpServer() as Server;
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) throw new Error('installProxy: expected one request listener');
  const [express] = listeners;
  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (!(url.startsWith('/v1/') || url === '/v1' || url.startsWith('/v1?'))) {
      return express(req, res);
    }
    limit.use(req, res, () => {
      if (isAuditVerify(req.method, url)) return auditVerify.handle(req, res);
      const upstream = proxy.upstreamOf(url);
      if (upstream) proxy.forward(upstream, req, res);
      else express(req, res);
    });
  });
}
