import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { Role } from '@lib/auth';
import {
  type GrantIntegrationEventData,
  type IntegrationEnvelope,
  TOPICS,
  integrationContracts,
} from '@lib/contracts';
import { IntegrationEventPublisher } from '@lib/messaging';
import {
  bearer,
  committedPast,
  eventually as eventuallyWithin,
  freshName,
  integrationEnvelope,
  staffTokens,
  startFounderIssuer,
  startServiceUnderTest,
  tailTopic,
  TEST_DATABASE_URL,
  TEST_JWT_SECRET,
  testAuthEnv,
  testKafka,
  testServiceEnv,
} from '@lib/testing';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { AppModule, SERVICE } from '../src/app.module';
import { loadConfig, type MilestonesConfig } from '../src/config';

export const JWT_SECRET = TEST_JWT_SECRET;
export const databaseUrl = TEST_DATABASE_URL;

/**
 * The milestones service (HTTP + its Kafka consumer) and the gateway in this process, on real
 * PostgreSQL and Kafka. Requests go through the gateway, as a client's would; grant events are
 * produced to `grants.grant.v1` as the grants service would; what milestones publishes is tailed
 * from `milestones.milestone.v1`.
 */
export interface Harness {
  config: MilestonesConfig;
  milestones: INestApplication;
  gateway: INestApplication;
  api: () => ReturnType<typeof request>;
  /**
   * A token for `sub`: exactly `['founder']` is a founder session token (the founder issuer, as
   * after NEAR sign-in); any other roles make a staff token (the staff issuer).
   */
  token(sub: string, roles: Role[], ttl?: number | string): Promise<string>;
  /** A token of the founder issuer with any roles (the service refuses one claiming staff roles). */
  founderIssuerToken(sub: string, roles: Role[]): Promise<string>;
  /** Staff-issuer tokens with any roles (even `['founder']`), expired ones and forged ones. */
  staff: ReturnType<typeof staffTokens>;
  /**
   * Produces a grant event (validated against its contract) to `grants.grant.v1`; resolves once
   * the service's consumer group committed past it (handled, or dead-lettered).
   */
  publishGrantEvent(envelope: IntegrationEnvelope<unknown>): Promise<void>;
  /** Publishes `GrantActivated` for `grant`; resolves once its two milestones are listed. */
  activateGrant(grant: { grantId: string; founder: string }): Promise<void>;
  /** Every event milestones published since the harness started, parsed against the contracts. */
  published: PublishedEvent[];
  close(): Promise<void>;
}

/** A published integration event with the Kafka key it was sent with. */
export type PublishedEvent = IntegrationEnvelope & { kafkaKey?: string };

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  // Founder tokens are verified as in production: the founder issuer's JWKS fetched by URL.
  const founders = await startFounderIssuer();
  const config = loadConfig({
    ...testServiceEnv(),
    ...testAuthEnv(founders.jwksUrl),
    ...env,
  });
  const kafka = testKafka('milestones-e2e');
  const groupId = freshName('milestones-e2e');
  const { app: milestones, url } = await startServiceUnderTest(AppModule.register(config), {
    consume: { service: SERVICE.name, groupId, topics: [TOPICS.grant, TOPICS.milestone], kafka },
  });

  const gatewayConfig = loadGatewayConfig({
    MILESTONES_URL: url,
    ...testServiceEnv(),
    RATE_LIMIT_PER_SECOND: '0',
  });
  const gateway = await createGatewayApp(gatewayConfig, { quiet: true });
  await gateway.init();
  const api = () => request(gateway.getHttpServer());

  const publisher = new IntegrationEventPublisher(kafka, integrationContracts());
  await publisher.connect();
  const published: PublishedEvent[] = [];
  const tail = await tailTopic(TOPICS.milestone, {
    name: 'milestones-e2e-tail',
    onMessage: (envelope, kafkaKey) => published.push({ ...envelope, kafkaKey }),
  });

  const founderIssuerToken = (sub: string, roles: Role[], ttl: number | string = '1h') =>
    founders.token(config, sub, roles, ttl);
  const staff = staffTokens({
    secret: JWT_SECRET,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  });
  const publishGrantEvent: Harness['publishGrantEvent'] = async (envelope) => {
    const [record] = await publisher.publish(TOPICS.grant, envelope);
    await committedPast(kafka, groupId, {
      topic: TOPICS.grant,
      partition: record.partition,
      offset: record.baseOffset!,
    });
  };

  return {
    config,
    milestones,
    gateway,
    api,
    token: (sub, roles, ttl = '1h') =>
      roles.length === 1 && roles[0] === 'founder'
        ? founderIssuerToken(sub, roles, ttl)
        : staff.staff(sub, roles, ttl),
    founderIssuerToken: (sub, roles) => founderIssuerToken(sub, roles),
    staff,
    publishGrantEvent,
    async activateGrant(grant) {
      const founder = await founderIssuerToken(grant.founder, ['founder']);
      await publishGrantEvent(grantActivated(grant));
      await eventually(async () => {
        const response = await api()
          .get(`/v1/grants/${grant.grantId}/milestones`)
          .set(bearer(founder));
        return (response.body.items as unknown[] | undefined)?.length === 2 ? true : undefined;
      });
    },
    published,
    async close() {
      await tail.stop();
      await publisher.disconnect();
      await gateway.close();
      await milestones.close();
      await founders.close();
    },
  };
}

/** Polls `probe` until it returns a value other than undefined (read models catch up async). */
export const eventually = <T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> => eventuallyWithin(probe, timeoutMs);

export const day = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** A fresh grant's founder and id. */
export const newGrant = () => ({
  grantId: randomUUID(),
  founder: `founder-${randomBytes(4).toString('hex')}.test.near`,
});

/**
 * A `GrantActivated` envelope valid per contract: two USDC tranches (15000 and 30000.5), the
 * first due yesterday (overdue), the second in a year.
 */
export function grantActivated(
  grant: { grantId: string; founder: string },
  overrides: Partial<GrantIntegrationEventData<'GrantActivated'>> = {},
): IntegrationEnvelope<GrantIntegrationEventData<'GrantActivated'>> {
  const data: GrantIntegrationEventData<'GrantActivated'> = {
    grantId: grant.grantId,
    founder: grant.founder,
    payoutAccount: grant.founder,
    title: 'Verifiable inference on NEAR',
    asset: 'USDC',
    amount: '45000500000',
    tranches: [
      { number: 1, title: 'Prototype', dueDate: day(-1), amount: '15000000000' },
      { number: 2, title: 'Mainnet launch', dueDate: day(365), amount: '30000500000' },
    ],
    termsHash: randomBytes(32).toString('hex'),
    activatedAt: new Date().toISOString(),
    ...overrides,
  };
  return integrationEnvelope('GrantActivated', grant.grantId, data, {
    streamVersion: 2,
    actor: grant.founder,
  });
}

export function grantCancelled(
  grant: { grantId: string },
  cancelledBy = 'admin-cancel',
): IntegrationEnvelope<GrantIntegrationEventData<'GrantCancelled'>> {
  const data = {
    grantId: grant.grantId,
    reason: 'The team dissolved',
    cancelledBy,
    cancelledAt: new Date().toISOString(),
  };
  return integrationEnvelope('GrantCancelled', grant.grantId, data, {
    streamVersion: 3,
    actor: cancelledBy,
  });
}
