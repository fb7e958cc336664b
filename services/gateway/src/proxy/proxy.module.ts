import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { ProxyMiddleware } from './proxy.middleware';
import { RateLimitMiddleware } from './rate-limit.middleware';

@Module({ providers: [ProxyMiddleware, RateLimitMiddleware] })
export class ProxyModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RateLimitMiddleware, ProxyMiddleware).forRoutes('v1', 'v1/*path');
  }
}
