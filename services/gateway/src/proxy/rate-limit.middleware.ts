import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@lib/platform';
import type { GatewayConfig } from '../config';
import { clientAddress } from './client-address';
import { sendProblem } from './proxy.middleware';

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * Token bucket per client address (see clientAddress, TRUSTED_PROXY_HOPS), per gateway replica: RATE_LIMIT_PER_SECOND sustained, twice
 * that as burst. Over the limit → 429 problem with Retry-After.
 */
@Injectable()
export class RateLimitMiddleware {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly trustedHops: number;

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig) {
    this.trustedHops = config.TRUSTED_PROXY_HOPS;
    this.rate = config.RATE_LIMIT_PER_SECOND;
    this.burst = config.RATE_LIMIT_PER_SECOND * 2;
  }

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (this.rate === 0) return next();
    const key = clientAddress(req, this.trustedHops);
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, refilledAt: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.refilledAt) / 1000) * this.rate,
    );
    bucket.refilledAt = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      sendProblem(res, 429, 'rate_limited', 'too many requests; slow down', {
        'retry-after': '1',
      });
      return;
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.buckets.clear(); // bounded memory under address churn
    next();
  }
}
