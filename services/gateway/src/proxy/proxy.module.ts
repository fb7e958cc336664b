import { type INestApplication, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ProxyMiddleware } from './proxy.middleware';
import { RateLimitMiddleware } from './rate-limit.middleware';

@Module({ providers: [ProxyMiddleware, RateLimitMiddleware] })
export class ProxyModule {}

/**
 * Mounts rate limit + proxy for `/v1` as plain express middleware, ahead of Nest's router and
 * request logging: the proxy hop stays cheap, and the service that answers logs the request under
 * the same correlation id. Paths no service owns fall through to Nest (404 problem).
 */
export function installProxy(app: INestApplication): void {
  const limit = app.get(RateLimitMiddleware);
  const proxy = app.get(ProxyMiddleware);
  app.use('/v1', (req: Request, res: Response, next: NextFunction) =>
    limit.use(req, res, () => proxy.use(req, res, next)),
  );
}
