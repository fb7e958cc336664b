import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, problemBody, SERVICE_CONFIG } from '@lib/platform';
import type { GatewayConfig } from '../config';

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * Token bucket per client address, per gateway replica: RATE_LIMIT_PER_SECOND sustained, twice
 * that as burst. Over the limit → 429 problem with Retry-After.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig) {
    this.rate = config.RATE_LIMIT_PER_SECOND;
    this.burst = config.RATE_LIMIT_PER_SECOND * 2;
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (this.rate === 0) return next();
    const key = req.ip ?? 'unknown';
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, refilledAt: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.refilledAt) / 1000) * this.rate,
    );
    bucket.refilledAt = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      res.setHeader('retry-after', '1');
      res
        .status(429)
        .type(PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(problemBody(429, 'rate_limited', 'too many requests; slow down')));
      return;
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.buckets.clear(); // bounded memory under address churn
    next();
  }
}
