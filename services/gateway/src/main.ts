import 'reflect-metadata';
import { runHybridService } from '@lib/messaging';
import { AppModule, SERVICE } from './app.module';
import { loadConfig } from './config';
import { installProxy } from './proxy/proxy.module';

void runHybridService({
  name: SERVICE.name,
  loadConfig: () => loadConfig(),
  module: (config) => AppModule.register(config),
  parseJsonBodies: false,
  configure: installProxy,
});
