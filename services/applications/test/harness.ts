import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { KeyPairSigner } from 'near-api-js';
import { Pool } from 'pg';
import request from 'supertest';
import type { Role } from '@lib/auth';
import { createServiceApp } from '@lib/platform';
import {
  bearer,
  listenLocally,
  type NearEmulator,
  staffTokens,
  startNearEmulator,
  TEST_DATABASE_URL,
  TEST_JWT_SECRET,
  testAuthEnv,
  testServiceEnv,
} from '@lib/testing';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { AppModule } from '../src/app.module';
import { type ApplicationsConfig, loadConfig } from '../src/config';

import { applicationBody } from './fixtures';

export { applicationBody, approval, reviewBody } from './fixtures';

export const JWT_SECRET = TEST_JWT_SECRET;

/**
 * The applications service and the gateway in this process, on real PostgreSQL and Kafka, with
 * the NEAR JSON-RPC emulator for sign-in. Requests go through the gateway, as a client's would.
 */
export interface Harness {
  config: ApplicationsConfig;
  emulator: NearEmulator;
  applications: INestApplication;
  /** A small pool on the test database, for what a spec reads beside the API. */
  pool: Pool;
  gateway: INestApplication;
  api: () => ReturnType<typeof request>;
  staffToken(sub: string, roles: Role[], ttl?: number | string): Promise<string>;
  /** Staff-issuer tokens: valid ones, expired ones and ones signed with another secret. */
  staff: ReturnType<typeof staffTokens>;
  /** A fresh NEAR account signed in through NEP-413; returns its account id and founder token. */
  signInFounder(): Promise<Founder>;
  /** POST /v1/applications/{id}/{action} as `token`, with `body` (`{}` unless given). */
  act(id: string, action: Action, token: string, body?: object): request.Test;
  /** A new draft of `founder`'s (`applicationBody`, 201); returns its id. */
  draft(founder: Founder, overrides?: Record<string, unknown>): Promise<string>;
  /** A new application of `founder`'s, submitted; returns its id. */
  submitted(founder: Founder, overrides?: Record<string, unknown>): Promise<string>;
  /** A new application of `founder`'s, submitted, `reviewers` assigned by `admin`. */
  underReview(
    founder: Founder,
    admin: string,
    reviewers: string[],
    overrides?: Record<string, unknown>,
  ): Promise<string>;
  close(): Promise<void>;
}

/** A signed-in founder: the NEAR account and its session token. */
export interface Founder {
  accountId: string;
  token: string;
}

/** The actions an application takes by POST /v1/applications/{id}/{action}. */
export type Action = 'submit' | 'withdraw' | 'reviewers' | 'reviews' | 'decision';

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
    ...testAuthEnv(),
    NEAR_RPC_URL: emulator.url,
    SIGNIN_CHALLENGES_PER_ACCOUNT: '1000',
    SIGNIN_CHALLENGES_PER_ADDRESS: '1000000',
    ...env,
  });
  const applications = await createServiceApp(AppModule.register(config), { quiet: true });
  const gatewayConfig = loadGatewayConfig({
    APPLICATIONS_URL: await listenLocally(applications),
    ...testServiceEnv(),
    RATE_LIMIT_PER_SECOND: '0',
    ...gatewayEnv,
  });
  const gateway = await createGatewayApp(gatewayConfig, { quiet: true });
  await gateway.init();
  const api = () => request(gateway.getHttpServer());
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  const staff = staffTokens({
    secret: JWT_SECRET,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  });
  const act: Harness['act'] = (id, action, token, body = {}) =>
    api().post(`/v1/applications/${id}/${action}`).set(bearer(token)).send(body);
  const draft: Harness['draft'] = async (founder, overrides) => {
    const created = await api()
      .post('/v1/applications')
      .set(bearer(founder.token))
      .send(applicationBody(founder.accountId, overrides))
      .expect(201);
    return created.body.id as string;
  };
  const submitted: Harness['submitted'] = async (founder, overrides) => {
    const id = await draft(founder, overrides);
    await act(id, 'submit', founder.token).expect(200);
    return id;
  };

  return {
    config,
    emulator,
    applications,
    pool,
    gateway,
    api,
    staffToken: staff.staff,
    staff,
    act,
    draft,
    submitted,
    async underReview(founder, admin, reviewers, overrides) {
      const id = await submitted(founder, overrides);
      await act(id, 'reviewers', admin, { reviewers }).expect(200);
      return id;
    },
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
      await pool.end();
      await gateway.close();
      await applications.close();
      await emulator.close();
    },
  };
}

/** Polls until a value other than undefined (read models catch up async): from @lib/testing. */
export { eventually } from '@lib/testing';
