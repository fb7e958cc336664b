import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import request from 'supertest';
import type { Role } from '@lib/auth';
import {
  type GrantIntegrationEventData,
  integrationContracts,
  type IntegrationEnvelope,
  type MilestoneIntegrationEventData,
  type PayoutIntegrationEventData,
  TOPICS,
} from '@lib/contracts';
import { IntegrationEventPublisher } from '@lib/messaging';
import {
  bearer,
  eventually as eventuallyWithin,
  freshName,
  integrationEnvelope,
  staffTokens,
  startFounderIssuer,
  startGroupAtEnd,
  startServiceUnderTest,
  tailTopic,
  TEST_CONSUMER_CONFIG,
  TEST_DATABASE_URL,
  TEST_JWT_SECRET,
  testAuthEnv,
  testKafka,
  testServiceEnv,
  txHash,
} from '@lib/testing';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { loadConfig as loadGatewayConfig } from '../../gateway/src/config';
import { AppModule } from '../src/app.module';
import { TreasuryClock } from '../src/clock';
import { type DisbursementsConfig, loadConfig } from '../src/config';

export const JWT_SECRET = TEST_JWT_SECRET;
export const databaseUrl = TEST_DATABASE_URL;
const CONSUMED = [TOPICS.grant, TOPICS.milestone, TOPICS.payout];

/** A token of this run only (NEP-141, 6 decimals): its limit is untouched by any other test. */
export const testAsset = () => `T${randomBytes(4).toString('hex').toUpperCase()}`;

/**
 * The disbursements service (one or more replicas on the same database and consumer group) and
 * the gateway in this process, on real PostgreSQL and Kafka. Requests go through the gateway;
 * `replica(i)` reaches one replica directly. Grants, milestones and settlement are played by the
 * test: it produces their contract events to Kafka.
 */
export interface Harness {
  config: DisbursementsConfig;
  replicas: INestApplication[];
  gateway: INestApplication;
  api: () => ReturnType<typeof request>;
  replica: (index: number) => ReturnType<typeof request>;
  staffToken(sub: string, roles: Role[], ttl?: number | string): Promise<string>;
  /** A founder session token (the founder issuer, as after NEAR sign-in) claiming `roles`. */
  founderToken(sub: string, roles?: Role[]): Promise<string>;
  /** A fresh treasurer identity and its token. */
  treasurer(): Promise<{ sub: string; token: string }>;
  /** Publishes a contract event; pass `eventId` to redeliver the very same event. */
  publish(
    topic: string,
    type: string,
    aggregateId: string,
    data: object,
    eventId?: string,
  ): Promise<string>;
  /** Collects what is published to `topic` from now on. */
  tail(topic: string): Promise<{ messages: IntegrationEnvelope[]; stop(): Promise<void> }>;
  /** Moves every replica's clock forward. */
  advance(ms: number): void;
  kafka: Kafka;
  close(): Promise<void>;
}

export async function startHarness(
  options: { env?: Record<string, string>; replicas?: number } = {},
): Promise<Harness> {
  // Founder tokens are verified as in production: the founder issuer's JWKS fetched by URL.
  const founders = await startFounderIssuer();
  const config = loadConfig({
    ...testServiceEnv(),
    ...testAuthEnv(founders.jwksUrl),
    TREASURY_RUN_INTERVAL_SECONDS: '0',
    ...options.env,
  });
  const kafka = testKafka('disbursements-e2e');
  // A new consumer group that starts at the topics' current end: no other run's history. Every
  // replica joins it (the group is started once, before the first member).
  const groupId = freshName('disbursements-e2e');
  await startGroupAtEnd(kafka, groupId, [...CONSUMED, TOPICS.disbursement]);

  const replicas: INestApplication[] = [];
  const urls: string[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const { app, url } = await startServiceUnderTest(AppModule.register(config), {
      consume: {
        service: 'disbursements',
        groupId,
        topics: [],
        kafka,
        options: {
          maxAttempts: 5, // the consumer's default
          consumerConfig: { ...TEST_CONSUMER_CONFIG, maxWaitTimeInMs: 100 },
        },
      },
    });
    replicas.push(app);
    urls.push(url);
  }
  const gateway = await createGatewayApp(
    loadGatewayConfig({
      DISBURSEMENTS_URL: urls.join(','),
      ...testServiceEnv(),
      RATE_LIMIT_PER_SECOND: '0',
    }),
    { quiet: true },
  );
  await gateway.init();
  const publisher = new IntegrationEventPublisher(kafka, integrationContracts());
  await publisher.connect();
  const tails: { stop(): Promise<void> }[] = [];

  const tokens = staffTokens({
    secret: JWT_SECRET,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  });
  return {
    config,
    replicas,
    gateway,
    kafka,
    api: () => request(gateway.getHttpServer()),
    replica: (index) => request(replicas[index].getHttpServer()),
    staffToken: tokens.staff,
    founderToken: (sub, roles = ['founder']) => founders.token(config, sub, roles),
    async treasurer() {
      const sub = `treasurer-${randomBytes(4).toString('hex')}`;
      return { sub, token: await tokens.staff(sub, ['treasurer']) };
    },
    async publish(topic, type, aggregateId, data, eventId = randomUUID()) {
      const envelope = integrationEnvelope<unknown>(type, aggregateId, data, { eventId });
      await publisher.publish(topic, envelope);
      return envelope.eventId;
    },
    async tail(topic) {
      const tail = await tailTopic(topic, { name: 'disbursements-e2e-tail' });
      tails.push(tail);
      return tail;
    },
    advance(ms) {
      for (const app of replicas) app.get(TreasuryClock).advance(ms);
    },
    async close() {
      await Promise.all(tails.map((t) => t.stop().catch(() => undefined)));
      await publisher.disconnect();
      await gateway.close();
      for (const app of replicas) await app.close();
      await founders.close();
    },
  };
}

export const auth = bearer;

/** Polls `probe` until it returns a value other than undefined (consumers catch up async). */
export const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000) =>
  eventuallyWithin(probe, timeoutMs);

const hex = (n: number) => randomBytes(n).toString('hex');

export interface TestGrant {
  grantId: string;
  founder: string;
  payoutAccount: string;
  asset: string;
}

/** Plays the grants, milestones and settlement services on Kafka with valid contracts. */
export function upstream(h: Harness) {
  const now = () => new Date().toISOString();
  return {
    async activateGrant(
      grant: Partial<TestGrant> & { asset: string; amounts: string[] },
    ): Promise<TestGrant> {
      const g: TestGrant = {
        grantId: grant.grantId ?? randomUUID(),
        founder: grant.founder ?? `founder-${hex(4)}.test.near`,
        payoutAccount: grant.payoutAccount ?? `payee-${hex(4)}.test.near`,
        asset: grant.asset,
      };
      const total = grant.amounts.reduce((s, a) => s + BigInt(a), 0n).toString();
      const data: GrantIntegrationEventData<'GrantActivated'> = {
        grantId: g.grantId,
        founder: g.founder,
        payoutAccount: g.payoutAccount,
        title: 'Verifiable inference',
        asset: g.asset,
        amount: total,
        tranches: grant.amounts.map((amount, i) => ({
          number: i + 1,
          title: `Milestone ${i + 1}`,
          dueDate: '2027-06-01',
          amount,
        })),
        termsHash: hex(32),
        activatedAt: now(),
      };
      await h.publish(TOPICS.grant, 'GrantActivated', g.grantId, data);
      return g;
    },
    async kyc(
      grantId: string,
      status: 'verified' | 'rejected' | 'expired',
      expiresAt: string | null = null,
    ) {
      const data: GrantIntegrationEventData<'KycStatusChanged'> = {
        grantId,
        status,
        expiresAt,
        recordedBy: 'admin-e2e',
        recordedAt: now(),
      };
      return h.publish(TOPICS.grant, 'KycStatusChanged', grantId, data);
    },
    async changePayoutAccount(grant: TestGrant, payoutAccount: string, effectiveAt = now()) {
      const data: GrantIntegrationEventData<'PayoutAccountChanged'> = {
        grantId: grant.grantId,
        previousAccount: grant.payoutAccount,
        payoutAccount,
        approvedBy: 'admin-e2e',
        approvedAt: now(),
        effectiveAt,
      };
      return h.publish(TOPICS.grant, 'PayoutAccountChanged', grant.grantId, data);
    },
    async cancelGrant(grantId: string) {
      const data: GrantIntegrationEventData<'GrantCancelled'> = {
        grantId,
        reason: 'founder left',
        cancelledBy: 'admin-e2e',
        cancelledAt: now(),
      };
      return h.publish(TOPICS.grant, 'GrantCancelled', grantId, data);
    },
    /** Publishes MilestoneAccepted; `eventId` lets a test redeliver the very same event. */
    async acceptMilestone(
      grant: TestGrant,
      tranche: number,
      amount: string,
      acceptedBy = `reviewer-${hex(3)}`,
    ) {
      const data: MilestoneIntegrationEventData<'MilestoneAccepted'> = {
        grantId: grant.grantId,
        tranche,
        amount,
        asset: grant.asset,
        founder: grant.founder,
        acceptedBy,
        acceptedAt: now(),
      };
      await h.publish(TOPICS.milestone, 'MilestoneAccepted', grant.grantId, data);
      return { acceptedBy, data };
    },
    async payoutSubmitted(
      disbursementId: string,
      attempt: number,
      receiver: string,
      asset: string,
      amount: string,
    ) {
      const hash = txHash();
      const data: PayoutIntegrationEventData<'PayoutSubmitted'> = {
        payoutId: `${disbursementId}-${attempt}`,
        disbursementId,
        attempt,
        txHash: hash,
        signerPublicKey: 'ed25519:lane1',
        nonce: '7',
        receiver,
        asset,
        amount,
        submittedAt: now(),
      };
      await h.publish(TOPICS.payout, 'PayoutSubmitted', disbursementId, data);
      return hash;
    },
    async payoutSettled(disbursementId: string, attempt: number, hash = txHash()) {
      const data: PayoutIntegrationEventData<'PayoutSettled'> = {
        payoutId: `${disbursementId}-${attempt}`,
        disbursementId,
        attempt,
        txHash: hash,
        blockHash: hex(16),
        blockHeight: '1234',
        settledAt: now(),
      };
      await h.publish(TOPICS.payout, 'PayoutSettled', disbursementId, data);
      return hash;
    },
    async payoutFailed(disbursementId: string, attempt: number, reason = 'AccountDoesNotExist') {
      const data: PayoutIntegrationEventData<'PayoutFailed'> = {
        payoutId: `${disbursementId}-${attempt}`,
        disbursementId,
        attempt,
        txHash: null,
        reason,
        failedAt: now(),
      };
      return h.publish(TOPICS.payout, 'PayoutFailed', disbursementId, data);
    },
    async discrepancy() {
      const data: PayoutIntegrationEventData<'ReconciliationDiscrepancyFound'> = {
        discrepancyId: randomUUID(),
        kind: 'foreign_nonce',
        detail: 'lane nonce on chain is above the ledger',
        lane: 'ed25519:lane1',
        payoutId: null,
        foundAt: now(),
      };
      await h.publish(TOPICS.payout, 'ReconciliationDiscrepancyFound', data.discrepancyId, data);
      return data.discrepancyId;
    },
  };
}

/** Config for a harness whose policy covers `assets` (6-decimal test tokens). */
export function assetEnv(
  assets: { symbol: string; threshold: string; limit: string }[],
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NEAR_EXTRA_TOKENS: JSON.stringify(
      assets.map((a) => ({
        symbol: a.symbol,
        decimals: 6,
        contractId: `${a.symbol.toLowerCase()}.test.near`,
      })),
    ),
    TREASURY_DUAL_APPROVAL_THRESHOLD: [
      'NEAR=100',
      'USDC=10000',
      ...assets.map((a) => `${a.symbol}=${a.threshold}`),
    ].join(','),
    TREASURY_DAILY_LIMIT: [
      'NEAR=1000',
      'USDC=100000',
      ...assets.map((a) => `${a.symbol}=${a.limit}`),
    ].join(','),
    ...extra,
  };
}

/** Leaves the shared treasury switch on: resumes (with two treasurers if needed) when paused. */
export async function ensureResumed(h: Harness): Promise<void> {
  const a = await h.treasurer();
  const b = await h.treasurer();
  const state = await h.api().get('/v1/treasury').set(auth(a.token)).expect(200);
  if (!state.body.paused) return;
  const first = await h.api().post('/v1/treasury/resume').set(auth(a.token)).send({}).expect(200);
  if (first.body.paused) {
    await h.api().post('/v1/treasury/resume').set(auth(b.token)).send({}).expect(200);
  }
}
