import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@lib/platform';
import { AppModule, SERVICE } from './app.module';
import { type GatewayConfig, loadConfig } from './config';
import { installProxy } from './proxy/proxy.module';

/**
 * How the gateway is built, for `main.ts` (through `runHybridService`) and for the tests that
 * start it in-process: the root module, and no JSON body parsing because the proxy streams
 * bodies to the owning service, installed before Nest's router.
 */
export const gatewayApp = {
  name: SERVICE.name,
  loadConfig: () => loadConfig(),
  module: (config: GatewayConfig) => AppModule.register(config),
  parseJsonBodies: false,
  configure: installProxy,
};

/** The gateway HTTP app for `config`, built as `main.ts` builds it (not listening yet). */
export function createGatewayApp(
  config: GatewayConfig,
  options: { quiet?: boolean } = {},
): Promise<INestApplication> {
  return createServiceApp(gatewayApp.module(config), {
    quiet: options.quiet,
    parseJsonBodies: gatewayApp.parseJsonBodies,
    configure: gatewayApp.configure,
  });
}
