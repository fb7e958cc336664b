import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { BaseConfig } from './config';
import { currentCorrelationId, CORRELATION_HEADER } from './correlation';
import { createDataSource, createPool, migrateSchema, type MigrationClass } from './database';
import { AuditController } from './audit.controller';
import { HealthController, KafkaHealth, PostgresHealth } from './health';
import { MetricsController } from './metrics.controller';
import {
  DATA_SOURCE,
  PG_POOL,
  SERVICE_CONFIG,
  SERVICE_CONTEXT,
  type ServiceContext,
} from './tokens';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface PlatformOptions {
  name: string;
  /** Postgres schema the service owns; omit for a stateless service. */
  schema?: string;
  config: BaseConfig;
  migrations?: MigrationClass[];
  entities?: (new () => unknown)[];
}

/** Pretty logs only in development on a TTY (pino-pretty); everywhere else one JSON object a line. */
export const prettyLogs = (nodeEnv: string | undefined, stdout = process.stdout): boolean =>
  nodeEnv === 'development' && stdout.isTTY === true;

const PRETTY_OPTIONS = {
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,req,res,responseTime,context',
  messageFormat:
    '{if context}[{context}] {end}{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} → {res.statusCode}{end}',
  singleLine: true,
};

/**
 * Everything every service needs: config, JSON logs with correlation ids, a `pg` pool and a
 * TypeORM data source on the service's own schema (migrated at start), and /health/live|ready.
 */
@Global()
@Module({})
export class PlatformModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
  ) {}

  static forService(options: PlatformOptions): DynamicModule {
    const context: ServiceContext = {
      name: options.name,
      schema: options.schema,
      kafkaBrokers: options.config.KAFKA_BROKERS,
    };
    return {
      module: PlatformModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.config.LOG_LEVEL,
            name: options.name,
            genReqId: (req: IncomingMessage) => {
              const header = req.headers[CORRELATION_HEADER];
              return typeof header === 'string' && header.length <= 200 ? header : randomUUID();
            },
            // Every line written in a request's or message's context carries its correlation
            // id. A mixin costs one call per line; customProps made two extra child loggers
            // per request.
            mixin: () => ({ correlationId: currentCorrelationId() }),
            autoLogging: {
              ignore: (req: IncomingMessage) =>
                (req.url?.startsWith('/health') || req.url?.startsWith('/metrics')) ?? false,
            },
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            // A developer's terminal gets readable lines; files, pipes and production get JSON.
            ...(prettyLogs(options.config.NODE_ENV)
              ? { transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } }
              : {}),
          },
        }),
      ],
      // A service that owns a schema serves its own audit trail.
      controllers: [
        HealthController,
        MetricsController,
        ...(options.schema ? [AuditController] : []),
      ],
      providers: [
        { provide: SERVICE_CONTEXT, useValue: context },
        { provide: SERVICE_CONFIG, useValue: options.config },
        {
          provide: PG_POOL,
          useFactory: () => createPool(options.config.DATABASE_URL, options.name),
        },
        {
          provide: DATA_SOURCE,
          useFactory: () =>
            createDataSource({
              databaseUrl: options.config.DATABASE_URL,
              schema: options.schema ?? 'public',
              migrations: options.migrations ?? [],
              entities: options.entities,
            }),
        },
        PostgresHealth,
        KafkaHealth,
      ],
      exports: [SERVICE_CONTEXT, SERVICE_CONFIG, PG_POOL, DATA_SOURCE],
    };
  }

  async onModuleInit(): Promise<void> {
    if (this.service.schema) await migrateSchema(this.pool, this.dataSource, this.service.schema);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.pool.end();
  }
}
