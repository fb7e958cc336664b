import type { INestApplication } from '@nestjs/common';
import { testServiceEnv } from '@lib/testing';
import { loadConfig } from '../src/config';
import { createGatewayApp } from '../src/gateway.app';

/**
 * The gateway built as `main.ts` builds it (createGatewayApp), in this process and initialised
 * but not listening: the test broker, silent logs, and `env` on top.
 */
export async function startGateway(env: Record<string, string> = {}): Promise<INestApplication> {
  const app = await createGatewayApp(loadConfig({ ...testServiceEnv(), ...env }), { quiet: true });
  await app.init();
  return app;
}
