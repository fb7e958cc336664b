import { randomUUID } from 'node:crypto';
import { type KeyPair, KeyPairSigner } from 'near-api-js';
import { Pool } from 'pg';
import request from 'supertest';
import type { Role } from '@lib/auth';
import {
  type IntegrationEnvelope,
  integrationContracts,
  TOPICS,
  type ApplicationIntegrationEventData,
} from '@lib/contracts';
import { IntegrationEventPublisher } from '@lib/messaging';
import { createServiceApp } from '@lib/platform';
import {
  bearer,
  eventually as eventuallyWithin,
  freshAccountId,
  freshName,
  integrationEnvelope,
  listenLocally,
  type NearEmulator,
  staffTokens,
  startNearEmulator,
  startServiceUnderTest,
  tailTopic,
  TEST_DATABASE_URL,
  type TopicTail,
  TEST_JWT_SECRET,
  testAuthEnv,
  testKafka,
  testServiceEnv,
} from '@lib/testing';
import { AppModule as ApplicationsModule } from '../../applications/src/app.module';
import { loadConfig as loadApplicationsConfig } from '../../applications/src/config';
import { AppModule as MilestonesModule } from '../../milestones/src/app.module';
import { loadConfig as loadMilestonesConfig } from '../../milestones/src/config';
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { AppModule } from '../src/app.module';
import type { Clock } from '../src/clock';
import { type GrantsConfig, loadConfig } from '../src/config';

export const JWT_SECRET = TEST_JWT_SECRET;

/** A clock the test moves forward (the payout-account cool-down). */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface NearAccount {
  accountId: string;
  keyPair: KeyPair;
}

export interface Founder {
  accountId: string;
  token: string;
}

/** `YYYY-MM-DD`, `months` from today. */
export function dueIn(months: number): string {
  const date = new Date();
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

export interface Challenge {
  message: string;
  recipient: string;
  nonce: string;
  expiresAt: string;
  termsHash: string;
}

/**
 * applications, grants and the gateway in this process on real PostgreSQL and Kafka, with the
 * NEAR JSON-RPC emulator; grants consumes Kafka as in production. Requests go through the gateway.
 */
export interface Harness {
  config: GrantsConfig;
  clock: TestClock;
  emulator: NearEmulator;
  pool: Pool;
  api: () => ReturnType<typeof request>;
  staffToken(sub: string, roles: Role[]): Promise<string>;
  /** A staff token that expired an hour ago. */
  expiredStaffToken(sub: string, roles: Role[]): Promise<string>;
  /** A staff token signed with a secret this deployment does not know. */
  forgedStaffToken(sub: string, roles: Role[]): Promise<string>;
  /** A fresh NEAR account signed in through NEP-413 (the founder's identity). */
  signInFounder(): Promise<Founder>;
  /** A fresh NEAR account with a full-access key (e.g. a payout wallet). */
  nearAccount(prefix?: string): NearAccount;
  /** What a wallet's signMessage returns for `challenge`, signed by `account` (or another key). */
  sign(
    account: NearAccount,
    challenge: Challenge,
    keyPair?: KeyPair,
  ): Promise<Record<string, string>>;
  /** Publishes `ApplicationApproved` as the applications relay would; returns the envelope. */
  publishApproved(input: {
    founder: string;
    payoutAccount: string;
    envelope?: IntegrationEnvelope;
  }): Promise<IntegrationEnvelope>;
  publish(topic: string, envelope: IntegrationEnvelope): Promise<void>;
  /** A grant awarded from an ApplicationApproved we publish, once its GET answers. */
  awardedGrant(founder?: Founder): Promise<{ founder: Founder; payout: NearAccount; id: string }>;
  /** An awarded grant whose payout account signed the terms. */
  activeGrant(founder?: Founder): Promise<{ founder: Founder; payout: NearAccount; id: string }>;
  /**
   * A fresh founder's application (a fresh payout account) created, submitted, reviewed by
   * `reviewer` and approved by `admin` through the gateway (two milestones; the grant: 45000 USDC
   * in tranches of 15000 and 30000). The id is the application's, and the grant's.
   */
  approvedApplication(input: {
    reviewer: { sub: string; token: string };
    admin: string;
    /** Decimal USDC: the grant and its two tranches (default 45000 = 15000 + 30000). */
    amounts?: { amount: string; tranches: [string, string] };
  }): Promise<{ founder: Founder; payout: NearAccount; id: string }>;
  /** Every event published to `topic` from now on, parsed against the contracts. */
  tail(topic: string): Promise<{ events: IntegrationEnvelope[]; stop(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  options: { milestones?: boolean } = {},
): Promise<Harness> {
  const emulator = await startNearEmulator();
  const common = {
    ...testServiceEnv(),
    ...testAuthEnv(),
    NEAR_RPC_URL: emulator.url,
  };
  const applicationsConfig = loadApplicationsConfig({
    ...common,
    REVIEW_QUORUM: '1',
    SIGNIN_CHALLENGES_PER_ADDRESS: '1000000',
  }); // every test signs in from 127.0.0.1
  const applications = await createServiceApp(ApplicationsModule.register(applicationsConfig), {
    quiet: true,
  });
  const applicationsUrl = await listenLocally(applications);

  const config = loadConfig({
    ...common,
    // Founder tokens are verified with the keys the applications service publishes.
    AUTH_FOUNDER_JWKS_URL: `${applicationsUrl}/.well-known/jwks.json`,
    ...env,
  });
  const clock = new TestClock();
  const kafka = testKafka('grants-e2e');
  const { app: grants, url: grantsUrl } = await startServiceUnderTest(
    AppModule.register(config, { clock }),
    {
      consume: {
        service: 'grants',
        groupId: freshName('grants-e2e'),
        topics: [TOPICS.application, TOPICS.milestone, TOPICS.disbursement, TOPICS.payout],
        awaitJoined: true,
      },
    },
  );

  const milestones = options.milestones
    ? await startServiceUnderTest(
        MilestonesModule.register(
          loadMilestonesConfig({
            ...common,
            AUTH_FOUNDER_JWKS_URL: `${applicationsUrl}/.well-known/jwks.json`,
          }),
        ),
        {
          consume: {
            service: 'milestones',
            groupId: freshName('grants-e2e-milestones'),
            topics: [TOPICS.grant],
            awaitJoined: true,
          },
        },
      )
    : undefined;
  const gateway = await createGatewayApp(
    loadGatewayConfig({
      APPLICATIONS_URL: applicationsUrl,
      GRANTS_URL: grantsUrl,
      ...(milestones ? { MILESTONES_URL: milestones.url } : {}),
      ...testServiceEnv(),
      RATE_LIMIT_PER_SECOND: '0',
    }),
    { quiet: true },
  );
  await gateway.init();
  const api = () => request(gateway.getHttpServer());

  const registry = integrationContracts();
  const publisher = new IntegrationEventPublisher(kafka, registry);
  await publisher.connect();
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  const tails: TopicTail[] = [];
  const tokens = staffTokens({
    secret: JWT_SECRET,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  });

  const nearAccount = (prefix = 'acct'): NearAccount => {
    const accountId = freshAccountId(prefix);
    const { keyPair } = emulator.createAccount({ accountId, amount: 10n ** 24n });
    return { accountId, keyPair };
  };

  const sign = async (account: NearAccount, challenge: Challenge, keyPair = account.keyPair) => {
    const signed = await new KeyPairSigner(keyPair).signNep413Message(account.accountId, {
      message: challenge.message,
      recipient: challenge.recipient,
      nonce: Buffer.from(challenge.nonce, 'base64'),
    });
    return {
      accountId: account.accountId,
      publicKey: keyPair.getPublicKey().toString(),
      signature: Buffer.from(signed.signature).toString('base64'),
      nonce: challenge.nonce,
      message: challenge.message,
      recipient: challenge.recipient,
    };
  };

  const signInFounder = async (): Promise<Founder> => {
    const account = nearAccount('founder');
    const challenge = await api()
      .post('/v1/auth/near/challenge')
      .send({ accountId: account.accountId })
      .expect(200);
    const signed = await sign(account, { ...challenge.body, termsHash: '' });
    const verified = await api().post('/v1/auth/near/verify').send(signed).expect(200);
    return { accountId: account.accountId, token: verified.body.token as string };
  };

  const publishApproved: Harness['publishApproved'] = async ({
    founder,
    payoutAccount,
    envelope,
  }) => {
    const id = randomUUID();
    const data: ApplicationIntegrationEventData<'ApplicationApproved'> = {
      applicationId: id,
      founder,
      payoutAccount,
      title: `Verifiable inference ${id.slice(0, 8)}`,
      grant: {
        asset: 'USDC',
        amount: '45000000000',
        tranches: [
          { milestone: 1, title: 'Prototype', dueDate: dueIn(6), amount: '15000000000' },
          { milestone: 2, title: 'Mainnet launch', dueDate: dueIn(12), amount: '30000000000' },
        ],
      },
      decidedBy: 'admin-e2e',
      approvedAt: new Date().toISOString(),
    };
    const approved =
      envelope ??
      integrationEnvelope('ApplicationApproved', id, data, {
        streamVersion: 6,
        actor: 'admin-e2e',
      });
    await publisher.publish(TOPICS.application, approved);
    return approved;
  };

  const awardedGrant: Harness['awardedGrant'] = async (given) => {
    const founder = given ?? (await signInFounder());
    const payout = nearAccount('payout');
    const { aggregateId: id } = await publishApproved({
      founder: founder.accountId,
      payoutAccount: payout.accountId,
    });
    await eventually(async () => {
      const response = await api().get(`/v1/grants/${id}`).set(auth(founder.token));
      return response.status === 200 ? true : undefined;
    });
    return { founder, payout, id };
  };

  return {
    config,
    clock,
    emulator,
    pool,
    api,
    staffToken: (sub, roles) => tokens.staff(sub, roles),
    expiredStaffToken: (sub, roles) => tokens.expired(sub, roles),
    forgedStaffToken: (sub, roles) => tokens.forged(sub, roles),
    signInFounder,
    nearAccount,
    sign,
    publishApproved,
    awardedGrant,
    async activeGrant(given) {
      const grant = await awardedGrant(given);
      const issued = await api()
        .post(`/v1/grants/${grant.id}/acceptance-challenge`)
        .set(auth(grant.founder.token))
        .expect(200);
      await api()
        .post(`/v1/grants/${grant.id}/accept`)
        .set(auth(grant.founder.token))
        .send(await sign(grant.payout, issued.body))
        .expect(200);
      return grant;
    },
    async approvedApplication({ reviewer, admin, amounts }) {
      const founder = await signInFounder();
      const payout = nearAccount('payout');
      const payoutAccount = payout.accountId;
      const grant = amounts ?? { amount: '45000', tranches: ['15000', '30000'] };
      const created = await api()
        .post('/v1/applications')
        .set(auth(founder.token))
        .send({
          title: `Verifiable inference ${randomUUID().slice(0, 8)}`,
          summary: 'Proofs of model execution settled on NEAR.',
          category: 'agents',
          team: [{ name: 'Ada', role: 'CEO' }],
          requestedFunding: { asset: 'USDC', amount: '50000' },
          payoutAccount,
          milestones: [
            { title: 'Prototype', description: 'Runs', dueDate: dueIn(6), amount: '20000' },
            { title: 'Mainnet launch', description: 'Live', dueDate: dueIn(12), amount: '30000' },
          ],
        })
        .expect(201);
      const id = created.body.id as string;
      await api().post(`/v1/applications/${id}/submit`).set(auth(founder.token)).expect(200);
      await api()
        .post(`/v1/applications/${id}/reviewers`)
        .set(auth(admin))
        .send({ reviewers: [reviewer.sub] })
        .expect(200);
      await api()
        .post(`/v1/applications/${id}/reviews`)
        .set(auth(reviewer.token))
        .send({
          scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 4 },
          recommendation: 'approve',
          comment: 'Solid',
          conflictOfInterest: false,
        })
        .expect(200);
      await api()
        .post(`/v1/applications/${id}/decision`)
        .set(auth(admin))
        .send({
          decision: 'approve',
          grant: {
            asset: 'USDC',
            amount: grant.amount,
            tranches: [
              { milestone: 1, amount: grant.tranches[0] },
              { milestone: 2, amount: grant.tranches[1] },
            ],
          },
        })
        .expect(200);
      return { founder, payout, id };
    },
    async publish(topic, envelope) {
      await publisher.publish(topic, envelope);
    },
    async tail(topic) {
      const tail = await tailTopic(topic, { name: 'grants-e2e-tail' });
      tails.push(tail);
      return { events: tail.messages, stop: () => tail.stop() };
    },
    async close() {
      await Promise.all(tails.map((t) => t.stop().catch(() => undefined)));
      await publisher.disconnect();
      await pool.end();
      await gateway.close();
      await grants.close();
      await milestones?.app.close();
      await applications.close();
      await emulator.close();
    },
  };
}

/** Polls `probe` until it returns a value other than undefined (read models catch up async). */
export const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000) =>
  eventuallyWithin(probe, timeoutMs);

export const auth = bearer;

/** An integration envelope as another service's relay would publish it (version 1, actor e2e). */
export const envelopeOf = (type: string, aggregateId: string, data: Record<string, unknown>) =>
  integrationEnvelope(type, aggregateId, data);

/** A random NEAR transaction hash (base58, 44 characters). */
export { txHash } from '@lib/testing';
