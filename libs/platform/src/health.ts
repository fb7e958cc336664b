import {
  Controller,
  Get,
  Inject,
  Injectable,
  Res,
  ServiceUnavailableException,
  SetMetadata,
} from '@nestjs/common';
import type { Response } from 'express';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Kafka, logLevel } from 'kafkajs';
import type { Pool } from 'pg';
import { PG_POOL, SERVICE_CONTEXT, type ServiceContext } from './tokens';

@Injectable()
export class PostgresHealth {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
  ) {}

  /** Up when Postgres answers and the service's schema exists (its migrations have run). */
  async check() {
    const indicator = this.indicators.check('postgres');
    if (!this.service.schema) return indicator.up({ schema: null });
    try {
      const result = await this.pool.query(
        'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
        [this.service.schema],
      );
      return result.rowCount === 1
        ? indicator.up({ schema: this.service.schema })
        : indicator.down({ message: `schema ${this.service.schema} missing` });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

@Injectable()
export class KafkaHealth {
  private readonly kafka: Kafka;

  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
  ) {
    this.kafka = new Kafka({
      clientId: `${service.name}-health`,
      brokers: service.kafkaBrokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    });
  }

  /** Up when a broker answers a metadata request; a fresh admin each time so no stale socket lies. */
  async check() {
    const indicator = this.indicators.check('kafka');
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return indicator.up({ brokers: cluster.brokers.length });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** Route metadata read by @lib/auth's AuthGuard: no token needed (its `@Public()` sets the same). */
export const PUBLIC_ROUTE_METADATA = 'auth:public';

@Controller('health')
@SetMetadata(PUBLIC_ROUTE_METADATA, true)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: PostgresHealth,
    private readonly kafka: KafkaHealth,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 when Postgres (with the service's schema) and Kafka answer; 503 with the details otherwise. */
  @Get('ready')
  async ready(@Res() response: Response): Promise<void> {
    try {
      const result = await this.health.check([
        () => this.postgres.check(),
        () => this.kafka.check(),
      ]);
      response.status(200).json(result);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(503).json(error.getResponse());
    }
  }
}
