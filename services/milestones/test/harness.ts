import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { type Consumer, type Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import {
  FOUNDER_TOKEN_ISSUER,
  founderJwks,
  generateFounderKey,
  type Role,
  signAccessToken,
  signDevToken,
} from '@lib/auth';
import {
  type GrantIntegrationEventData,
  type IntegrationEnvelope,
  integrationContracts,
  TOPICS,
} from '@lib/contracts';
import {
  connectKafkaEvents,
  createKafka,
  ensureTopics,
  IntegrationEventPublisher,
  parseIntegrationEvent,
} from '@lib/messaging';
import { createServiceApp } from '@lib/platform';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { AppModule, SERVICE } from '../src/app.module';
import { loadConfig, type MilestonesConfig } from '../src/config';

export const JWT_SECRET = 'e2e-secret-0123456789-0123456789-0123456789';
export const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';
const brokers = (process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

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
  /**
   * Produces a grant event (validated against its contract) to `grants.grant.v1`; resolves once
   * the service's consumer group committed past it (handled, or dead-lettered).
   */
  publishGrantEvent(envelope: IntegrationEnvelope<unknown>): Promise<void>;
  /** Every event milestones published since the harness started, parsed against the contracts. */
  published: PublishedEvent[];
  close(): Promise<void>;
}

/** A published integration event with the Kafka key it was sent with. */
export type PublishedEvent = IntegrationEnvelope & { kafkaKey?: string };

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  // Founder tokens are verified as in production: the founder issuer's JWKS fetched by URL.
  const founderKey = generateFounderKey();
  const jwks = createServer((_req, res) => res.end(JSON.stringify(founderJwks(founderKey))));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  const config = loadConfig({
    AUTH_FOUNDER_JWKS_URL: jwksUrl,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: JWT_SECRET,
    NEAR_NETWORK: 'local',
    ...env,
  });
  const kafka = createKafka({ clientId: 'milestones-e2e', brokers, logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, [TOPICS.grant, TOPICS.milestone]);

  // A consumer group of its own, starting at the topic's current end: this run sees the grant
  // events it produces, not every earlier run's, and never shares partitions with another process.
  const groupId = `milestones-e2e-${randomBytes(4).toString('hex')}`;
  await startGroupAtEnd(kafka, groupId, TOPICS.grant);
  const registry = integrationContracts();
  const milestones = await createServiceApp(AppModule.register(config), {
    quiet: true,
    connectKafka: (app) =>
      connectKafkaEvents(app, {
        service: SERVICE.name,
        groupId,
        registry,
        kafka,
        maxAttempts: 3,
        backoff: { initialMs: 50, maxMs: 200 },
        consumerConfig: {
          sessionTimeout: 6000,
          rebalanceTimeout: 6000,
          heartbeatInterval: 300,
          maxWaitTimeInMs: 200,
        },
      }),
  });
  await milestones.startAllMicroservices();
  await milestones.listen(0, '127.0.0.1');
  const port = (milestones.getHttpServer().address() as AddressInfo).port;

  const gatewayConfig = loadGatewayConfig({
    MILESTONES_URL: `http://127.0.0.1:${port}`,
    KAFKA_BROKERS: brokers.join(','),
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_SECOND: '0',
  });
  const gateway = await createGatewayApp(gatewayConfig, { quiet: true });
  await gateway.init();

  const publisher = new IntegrationEventPublisher(kafka, registry);
  await publisher.connect();
  const published: PublishedEvent[] = [];
  const tail = await tailFromEnd(kafka, TOPICS.milestone, (envelope) => published.push(envelope));

  const founderIssuerToken = (sub: string, roles: Role[], ttl: number | string) =>
    signAccessToken(
      { sub, roles, ttl },
      { alg: 'EdDSA', privateKey: founderKey.privateKey, kid: founderKey.kid },
      {
        issuer: config.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER,
        audience: config.AUTH_AUDIENCE,
      },
    );

  return {
    config,
    milestones,
    gateway,
    api: () => request(gateway.getHttpServer()),
    token: (sub, roles, ttl = '1h') =>
      roles.length === 1 && roles[0] === 'founder'
        ? founderIssuerToken(sub, roles, ttl)
        : signDevToken({ sub, roles, ttl }, JWT_SECRET, {
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
          }),
    founderIssuerToken: (sub, roles) => founderIssuerToken(sub, roles, '1h'),
    async publishGrantEvent(envelope) {
      const [record] = await publisher.publish(TOPICS.grant, envelope);
      await committedPast(
        kafka,
        groupId,
        TOPICS.grant,
        record.partition,
        BigInt(record.baseOffset!),
      );
    },
    published,
    async close() {
      await tail.disconnect();
      await publisher.disconnect();
      await gateway.close();
      await milestones.close();
      jwks.closeAllConnections();
      await new Promise((resolve) => jwks.close(resolve));
    },
  };
}

/** Commits the topic's end offsets for a fresh group, so its first member starts there. */
async function startGroupAtEnd(kafka: Kafka, groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map(({ partition, offset }) => ({ partition, offset })),
    });
  } finally {
    await admin.disconnect();
  }
}

async function committedPast(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partition: number,
  offset: bigint,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await eventually(async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const at = committed.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      return BigInt(at) > offset ? true : undefined;
    }, 30_000);
  } finally {
    await admin.disconnect();
  }
}

async function tailFromEnd(
  kafka: Kafka,
  topic: string,
  onEvent: (event: PublishedEvent) => void,
): Promise<Consumer> {
  const groupId = `milestones-e2e-tail-${randomBytes(4).toString('hex')}`;
  await startGroupAtEnd(kafka, groupId, topic);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const registry = integrationContracts();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const envelope = parseIntegrationEvent(registry, message.value);
      onEvent({ ...envelope, kafkaKey: message.key?.toString() });
    },
  });
  return consumer;
}

/** Polls `probe` until it returns a value other than undefined (read models catch up async). */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
  return envelopeOf('GrantActivated', grant.grantId, 2, data, grant.founder);
}

export function grantCancelled(
  grant: { grantId: string },
  cancelledBy = 'admin-cancel',
): IntegrationEnvelope<GrantIntegrationEventData<'GrantCancelled'>> {
  return envelopeOf(
    'GrantCancelled',
    grant.grantId,
    3,
    {
      grantId: grant.grantId,
      reason: 'The team dissolved',
      cancelledBy,
      cancelledAt: new Date().toISOString(),
    },
    cancelledBy,
  );
}

function envelopeOf<T>(
  type: string,
  grantId: string,
  streamVersion: number,
  data: T,
  actor: string,
): IntegrationEnvelope<T> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId: grantId,
    streamVersion,
    occurredAt: new Date().toISOString(),
    correlationId: `corr-${randomUUID()}`,
    causationId: null,
    actor,
    data,
  };
}
