import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ConfigError } from './config';
import { CORRELATION_HEADER, correlationIdFrom, withCorrelationId } from './correlation';
import { instrumentHttpServer } from './metrics.http';
import { ProblemDetailsFilter } from './problem';
import { SERVICE_CONTEXT, type ServiceContext } from './tokens';
import type { NextFunction, Request, Response } from 'express';

export interface ServiceAppOptions {
  /** Attach the service's Kafka side (a Nest custom transport strategy) before starting. */
  connectKafka?: (app: INestApplication) => unknown;
  /** Keep Nest's own logger quiet (tests). */
  quiet?: boolean;
  /** Parse JSON bodies (default); the gateway streams bodies through instead. */
  parseJsonBodies?: boolean;
  /**
   * Express-level set-up that must run before Nest's router and request logging (the gateway's
   * proxy: proxied requests are logged by the service that answers them).
   */
  configure?: (app: INestApplication) => void;
}

/**
 * Builds a service's HTTP app the one way every service is built: pino logs, correlation ids,
 * problem+json errors, bounded JSON bodies, shutdown hooks, optional Kafka hybrid side.
 */
export async function createServiceApp(
  module: Type | DynamicModule,
  options: ServiceAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    bodyParser: false,
    logger: options.quiet ? false : undefined,
  });
  app.useLogger(app.get(Logger));
  if (options.parseJsonBodies !== false) {
    app.useBodyParser('json', { limit: '256kb', type: ['application/json', 'application/*+json'] });
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    withCorrelationId(correlationIdFrom(req.headers[CORRELATION_HEADER]), () => next());
  });
  options.configure?.(app);
  instrumentHttpServer(app.getHttpServer(), serviceName(app));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  options.connectKafka?.(app);
  return app;
}

function serviceName(app: INestApplication): string {
  try {
    return app.get<ServiceContext>(SERVICE_CONTEXT).name;
  } catch {
    return 'unknown';
  }
}

/**
 * Starts a built app: lifecycle hooks first (`init`: migrations, relays, signer lanes), then the
 * Kafka consumers, then HTTP. Nest runs the hooks only in `init`/`listen`, so starting the
 * consumers first would let a handler meet a schema its migrations have not reached yet.
 */
export async function startServiceApp(app: INestApplication, port: number): Promise<void> {
  await app.init();
  await app.startAllMicroservices();
  await app.listen(port, '0.0.0.0');
}

/**
 * Bounds a graceful shutdown: after SIGTERM or SIGINT, Nest's shutdown (hooks, consumers, relays,
 * pool) gets `seconds`; a shutdown still running then is logged and the process exits 1, as
 * Kubernetes would kill it after its grace period. Dying mid-way is safe (the money path is
 * tested under SIGKILL at any moment); a replica stuck in shutdown is not: its relays and read
 * models have stopped (Nest runs those hooks before it closes the consumers) while it still
 * holds its partitions and locks.
 */
export function boundShutdown(name: string, seconds: number, log: (message: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${name}: shutting down (${signal}), at most ${seconds} s`);
      setTimeout(() => {
        process.stderr.write(`${name}: shutdown did not finish within ${seconds} s; exiting\n`);
        process.exit(1);
      }, seconds * 1000).unref();
    });
  }
}

/** main.ts entry: config errors name the variable and exit 1; otherwise start and listen. */
export async function runService(
  name: string,
  build: () => Promise<{ app: INestApplication; port: number; shutdownTimeoutSeconds?: number }>,
): Promise<void> {
  try {
    const { app, port, shutdownTimeoutSeconds } = await build();
    await startServiceApp(app, port);
    const logger = app.get(Logger);
    boundShutdown(name, shutdownTimeoutSeconds ?? 25, (message) => logger.log(message));
    logger.log(`${name} listening on http://127.0.0.1:${port}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      process.stderr.write(
        `${name}: failed to start: ${(error as Error).stack ?? String(error)}\n`,
      );
    }
    process.exit(1);
  }
}
