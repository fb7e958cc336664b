import 'reflect-metadata';
import { integrationContracts } from '@lib/contracts';
import { connectKafkaEvents } from '@lib/messaging';
import { createServiceApp, runService } from '@lib/platform';
import { AppModule, SERVICE } from './app.module';
import { loadConfig } from './config';

void runService(SERVICE.name, async () => {
  const config = loadConfig();
  const app = await createServiceApp(AppModule.register(config), {
    parseJsonBodies: false,
    connectKafka: (nest) =>
      connectKafkaEvents(nest, {
        service: SERVICE.name,
        registry: integrationContracts(),
        brokers: config.KAFKA_BROKERS,
      }),
  });
  return { app, port: config.PORT };
});
