import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { KeyPairSigner } from 'near-api-js';
import request from 'supertest';
import type { Role } from '@lib/auth';
import { createServiceApp } from '@lib/platform';
import { type NearEmulator, staffTokens, startNearEmulator, testServiceEnv } from '@lib/testing';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { AppModule } from '../src/app.module';
import { type ApplicationsConfig, loadConfig } from '../src/config';

export { applicationBody } from './fixtures';

export const JWT_SECRET = 'e2e-secret-0123456789-0123456789-0123456789';

/**
 * The applications service and the gateway in this process, on real PostgreSQL and Kafka, with
 * the NEAR JSON-RPC emulator for sign-in. Requests go through the gateway, as a client's would.
 */
export interface Harness {
  config: ApplicationsConfig;
  emulator: NearEmulator;
  applications: INestApplication;
  gateway: INestApplication;
  api: () => ReturnType<typeof request>;
  staffToken(sub: string, roles: Role[], ttl?: number | string): Promise<string>;
  /** A fresh NEAR account signed in through NEP-413; returns its account id and founder token. */
  signInFounder(): Promise<{ accountId: string; token: string }>;
  close(): Promise<void>;
}

/**
 * `env` overrides the applications service's variables, `gatewayEnv` the gateway's. Sign-in
 * challenge limits are lifted unless a test sets them: every test signs in from 127.0.0.1.
 */
export async function startHarness(
  env: Record<string, string> = {},
  gatewayEnv: Record<string, string> = {},
): Promise<Harness> {
  const emulator = await startNearEmulator();
  const config = loadConfig({
    ...testServiceEnv(),
    AUTH_JWT_SECRET: JWT_SECRET,
    NEAR_NETWORK: 'local',
    NEAR_RPC_URL: emulator.url,
    SIGNIN_CHALLENGES_PER_ACCOUNT: '1000',
    SIGNIN_CHALLENGES_PER_ADDRESS: '1000000',
    ...env,
  });
  const applications = await createServiceApp(AppModule.register(config), { quiet: true });
  await applications.listen(0, '127.0.0.1');
  const port = (applications.getHttpServer().address() as AddressInfo).port;
  const gatewayConfig = loadGatewayConfig({
    APPLICATIONS_URL: `http://127.0.0.1:${port}`,
    ...testServiceEnv(),
    RATE_LIMIT_PER_SECOND: '0',
    ...gatewayEnv,
  });
  const gateway = await createGatewayApp(gatewayConfig, { quiet: true });
  await gateway.init();
  const api = () => request(gateway.getHttpServer());

  return {
    config,
    emulator,
    applications,
    gateway,
    api,
    staffToken: staffTokens({
      secret: JWT_SECRET,
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
    }).staff,
    async signInFounder() {
      const accountId = `founder-${randomBytes(5).toString('hex')}.test.near`;
      const { keyPair } = emulator.createAccount({ accountId, amount: 10n ** 24n });
      // A fresh client address each time, for gateways told to trust X-Forwarded-For (the
      // per-address sign-in limit); ignored by a gateway with TRUSTED_PROXY_HOPS=0.
      const challenge = await api()
        .post('/v1/auth/near/challenge')
        .set('x-forwarded-for', `harness-${randomBytes(6).toString('hex')}`)
        .send({ accountId })
        .expect(200);
      const signer = new KeyPairSigner(keyPair);
      const signed = await signer.signNep413Message(accountId, {
        message: challenge.body.message,
        recipient: challenge.body.recipient,
        nonce: Buffer.from(challenge.body.nonce, 'base64'),
      });
      const verified = await api()
        .post('/v1/auth/near/verify')
        .send({
          accountId,
          publicKey: keyPair.getPublicKey().toString(),
          signature: Buffer.from(signed.signature).toString('base64'),
          nonce: challenge.body.nonce,
          message: challenge.body.message,
          recipient: challenge.body.recipient,
        })
        .expect(200);
      return { accountId, token: verified.body.token as string };
    },
    async close() {
      await gateway.close();
      await applications.close();
      await emulator.close();
    },
  };
}

/** Polls until a value other than undefined (read models catch up async): from @lib/testing. */
export { eventually } from '@lib/testing';
