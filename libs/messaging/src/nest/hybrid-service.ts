import type { DynamicModule, INestApplication } from '@nestjs/common';
import { integrationContracts } from '@lib/contracts';
import { type BaseConfig, createServiceApp, runService } from '@lib/platform';
import { type HandlerFailurePolicies } from '../integration-event.consumer';
import { connectKafkaEvents } from './kafka-event.server';

/** What a service's main.ts hands over: its name, config parser and root module. */
export interface HybridServiceDefinition<C extends BaseConfig & { PORT: number }> {
  name: string;
  loadConfig: () => C;
  module: (config: C) => DynamicModule;
  /** false for the gateway, which streams request bodies to the owning service. */
  parseJsonBodies?: boolean;
  /** Express-level set-up before Nest's router (see ServiceAppOptions.configure). */
  configure?: (app: INestApplication) => void;
  /**
   * What a Kafka handler that keeps failing leads to, for all or per topic: `dead-letter`
   * (default) or `retry-forever` (money paths: never drop an event, block its partition instead).
   */
  handlerFailurePolicy?: HandlerFailurePolicies;
}

/**
 * Starts a service the one way all of them start: config parsed once (exit 1 naming a bad
 * variable), HTTP app from the shared bootstrap, Kafka `@EventPattern` consumers attached as the
 * hybrid side, then listen.
 */
export function runHybridService<C extends BaseConfig & { PORT: number }>(
  definition: HybridServiceDefinition<C>,
): Promise<void> {
  return runService(definition.name, async () => {
    const config = definition.loadConfig();
    const app = await createServiceApp(definition.module(config), {
      parseJsonBodies: definition.parseJsonBodies,
      configure: definition.configure,
      connectKafka: (nest) =>
        connectKafkaEvents(nest, {
          service: definition.name,
          registry: integrationContracts(),
          brokers: config.KAFKA_BROKERS,
          handlerFailurePolicy: definition.handlerFailurePolicy,
        }),
    });
    return { app, port: config.PORT, shutdownTimeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS };
  });
}
