import 'reflect-metadata';
import { integrationContracts } from '@lib/contracts';
import { connectKafkaEvents } from '@lib/messaging';
import { createServiceApp, runService } from '@lib/platform';
import { AppModule, SERVICE } from './app.module';
import { loadConfig } from './config';

// Like runHybridService, with the consumer group and session timeout from config: replicas
// share the group, and a dead replica's partitions move after the session timeout.
void runService(SERVICE.name, async () => {
  const config = loadConfig();
  const app = await createServiceApp(AppModule.register(config), {
    connectKafka: (nest) =>
      connectKafkaEvents(nest, {
        service: SERVICE.name,
        groupId: config.SETTLEMENT_CONSUMER_GROUP,
        registry: integrationContracts(),
        brokers: config.KAFKA_BROKERS,
        // Money path: a released disbursement is retried until handled, never dead-lettered.
        handlerFailurePolicy: 'retry-forever',
        consumerConfig: {
          sessionTimeout: config.SETTLEMENT_KAFKA_SESSION_TIMEOUT_MS,
          rebalanceTimeout: Math.max(config.SETTLEMENT_KAFKA_SESSION_TIMEOUT_MS, 10_000),
          heartbeatInterval: Math.floor(config.SETTLEMENT_KAFKA_SESSION_TIMEOUT_MS / 10),
        },
      }),
  });
  return { app, port: config.PORT, shutdownTimeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS };
});
