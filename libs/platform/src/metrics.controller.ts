import { Controller, Get, Res, SetMetadata } from '@nestjs/common';
import type { Response } from 'express';
import { PUBLIC_ROUTE_METADATA } from './health';
import { metricsRegistry } from './metrics';

/**
 * `GET /metrics` in the Prometheus text format. No token (Prometheus scrapes the pod directly);
 * the gateway proxies only `/v1`, so no upstream's metrics are reachable through it.
 */
@Controller('metrics')
@SetMetadata(PUBLIC_ROUTE_METADATA, true)
export class MetricsController {
  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    const body = await metricsRegistry.metrics();
    response.status(200).setHeader('Content-Type', metricsRegistry.contentType);
    response.end(body);
  }
}
