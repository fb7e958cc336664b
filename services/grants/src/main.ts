import 'reflect-metadata';
import { runHybridService } from '@lib/messaging';
import { AppModule, SERVICE } from './app.module';
import { loadConfig } from './config';

void runHybridService({
  name: SERVICE.name,
  loadConfig: () => loadConfig(),
  module: (config) => AppModule.register(config),
  // Money path: a failing handler blocks its partition and retries; it never dead-letters.
  handlerFailurePolicy: 'retry-forever',
});
