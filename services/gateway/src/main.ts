import 'reflect-metadata';
import { createServiceApp, runService } from '@lib/platform';
import { AppModule, SERVICE } from './app.module';
import { loadConfig } from './config';

void runService(SERVICE.name, async () => {
  const config = loadConfig();
  const app = await createServiceApp(AppModule.register(config), { parseJsonBodies: false });
  return { app, port: config.PORT };
});
