import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { IncomingMessage as NodeIncomingMessage } from 'node:http';
import { metrics } from './metrics';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The route label of a finished request: express's matched route pattern (`/v1/applications/:id`,
 * never the raw URL, so ids do not explode the series), `unmatched` for a request express saw but
 * no route took (404s), `proxied` for one answered before express (the gateway's `/v1` proxy,
 * which the upstream service measures under its own pattern).
 */
export function routeLabel(req: IncomingMessage): string {
  if (Object.getPrototypeOf(req) === NodeIncomingMessage.prototype) return 'proxied';
  const route = (req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string }).route;
  if (typeof route?.path !== 'string') return 'unmatched';
  const base = (req as { baseUrl?: string }).baseUrl ?? '';
  return `${base}${route.path}`;
}

/**
 * Wraps the server's request listener so every request — including ones answered ahead of
 * express — is counted by route and status with its latency. Keeps exactly one listener.
 */
export function instrumentHttpServer(server: Server, service: string): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) return;
  const [inner] = listeners;
  server.removeListener('request', inner);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest(
        {
          service,
          method: req.method ?? 'GET',
          route: routeLabel(req),
          status: String(res.statusCode),
        },
        seconds,
      );
    });
    inner(req, res);
  });
}
