import { Controller, Get, Inject, Injectable, Logger, Res, SetMetadata } from '@nestjs/common';
import type { Response } from 'express';
import { HealthIndicatorService } from '@nestjs/terminus';
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

  /**
   * Up when a broker answers a metadata request; a fresh admin each time so no stale socket lies
   * (the HealthController calls this at most once per READINESS_CACHE_MS).
   */
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

/** What a readiness probe answers: up or down per dependency, nothing else (no internals). */
export interface Readiness {
  status: 'ok' | 'error';
  details: Record<string, { status: 'up' | 'down' }>;
}

/** Readiness is computed at most this often; callers in between share the last answer. */
export const READINESS_CACHE_MS = 1000;

@Controller('health')
@SetMetadata(PUBLIC_ROUTE_METADATA, true)
export class HealthController {
  private readonly logger = new Logger('Readiness');
  private last?: { at: number; readiness: Readiness };
  private inFlight?: Promise<Readiness>;
  private lastLogged = '';

  constructor(
    private readonly postgres: PostgresHealth,
    private readonly kafka: KafkaHealth,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * 200 when Postgres (with the service's schema) and Kafka answer, 503 otherwise; the body says
   * only up/down per dependency (the reasons go to the log). Anonymous and unlimited, so it is
   * computed at most once per READINESS_CACHE_MS and shared by every caller meanwhile.
   */
  @Get('ready')
  async ready(@Res() response: Response): Promise<void> {
    const readiness = await this.readiness();
    response
      .status(readiness.status === 'ok' ? 200 : 503)
      .setHeader('cache-control', 'no-store')
      .json(readiness);
  }

  /** The shared, at most READINESS_CACHE_MS old readiness. */
  readiness(now = Date.now()): Promise<Readiness> {
    if (this.last && now - this.last.at < READINESS_CACHE_MS) {
      return Promise.resolve(this.last.readiness);
    }
    this.inFlight ??= this.compute().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async compute(): Promise<Readiness> {
    const results = await Promise.all([this.postgres.check(), this.kafka.check()]);
    const details: Readiness['details'] = {};
    const reasons: string[] = [];
    for (const result of results) {
      for (const [name, value] of Object.entries(result)) {
        const up = (value as { status?: string }).status === 'up';
        details[name] = { status: up ? 'up' : 'down' };
        const message = (value as { message?: unknown }).message;
        if (!up) reasons.push(`${name}: ${typeof message === 'string' ? message : 'down'}`);
      }
    }
    const readiness: Readiness = {
      status: Object.values(details).every((d) => d.status === 'up') ? 'ok' : 'error',
      details,
    };
    const summary = reasons.join('; ');
    if (summary !== this.lastLogged) {
      if (summary) this.logger.warn(`not ready: ${summary}`);
      else this.logger.log('ready');
      this.lastLogged = summary;
    }
    this.last = { at: Date.now(), readiness };
    return readiness;
  }
}
