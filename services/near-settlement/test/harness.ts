import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import { KeyPair } from 'near-api-js';
import { Pool } from 'pg';
import { TOPICS, type IntegrationEnvelope } from '@lib/contracts';
import { toKafkaMessage } from '@lib/event-store';
import {
  eventually as eventuallyWithin,
  freePort,
  freshAccountId,
  integrationEnvelope,
  type NearEmulator,
  startGroupAtEnd as startGroupAtEndOf,
  startServiceUnderTest,
  tailTopic,
  TEST_DATABASE_URL,
  TEST_KAFKA_BROKERS,
  testKafka,
  type TopicTail,
} from '@lib/testing';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';

export const DATABASE_URL = TEST_DATABASE_URL;
export const BROKERS = TEST_KAFKA_BROKERS.join(',');
export const JWT_SECRET = 'settlement-e2e-secret-0123456789-0123456789';
export const USDC = 'usdc.test.near';
export const NEAR = 10n ** 24n;
const ROOT = join(__dirname, '..', '..', '..');

export const kafka: Kafka = testKafka('settlement-test');

export const pool = new Pool({ connectionString: DATABASE_URL, max: 4 });

export const fresh = freshAccountId;

/** A funded treasury account on the emulator with `lanes` full-access keys and USDC. */
export function createTreasury(
  emulator: NearEmulator,
  options: { lanes?: number; near?: bigint; usdc?: bigint } = {},
): { accountId: string; keys: KeyPair[] } {
  const accountId = fresh('treasury');
  const first = KeyPair.fromRandom('ed25519');
  emulator.createAccount({ accountId, amount: options.near ?? 1000n * NEAR, keyPair: first });
  const keys = [first];
  for (let i = 1; i < (options.lanes ?? 1); i++) {
    const key = KeyPair.fromRandom('ed25519');
    emulator.addAccessKey({ accountId, publicKey: key.getPublicKey().toString() });
    keys.push(key);
  }
  emulator.setFtBalance(USDC, accountId, options.usdc ?? 1_000_000_000_000n);
  return { accountId, keys };
}

/** Environment of one settlement instance (own consumer group unless given). */
export function settlementEnv(
  emulator: NearEmulator,
  treasury: { accountId: string; keys: KeyPair[] },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL,
    KAFKA_BROKERS: BROKERS,
    LOG_LEVEL: process.env.SETTLEMENT_TEST_LOG ?? 'silent',
    AUTH_JWT_SECRET: JWT_SECRET,
    NEAR_NETWORK: 'local',
    NEAR_RPC_URL: emulator.url,
    NEAR_LOCAL_USDC_CONTRACT_ID: USDC,
    NEAR_TREASURY_ACCOUNT_ID: treasury.accountId,
    NEAR_TREASURY_SECRET_KEYS: treasury.keys.map((k) => k.toString()).join(','),
    SETTLEMENT_CONSUMER_GROUP: `settlement-test-${randomUUID().slice(0, 8)}`,
    SETTLEMENT_KAFKA_SESSION_TIMEOUT_MS: '6000',
    SETTLEMENT_POLL_MS: '50',
    SETTLEMENT_IDLE_MS: '50',
    RECONCILE_INTERVAL_SECONDS: '0',
    ...extra,
  };
}

/** Commits `groupId`'s offsets at the end of `topic`, so it reads only what comes next. */
export const startGroupAtEnd = (groupId: string, topic: string): Promise<void> =>
  startGroupAtEndOf(kafka, groupId, [topic]);

/** The service in this process (what `main.ts` starts), on real Kafka and PostgreSQL. */
export async function startInProcess(env: Record<string, string>): Promise<INestApplication> {
  const config = loadConfig(env);
  const { app } = await startServiceUnderTest(AppModule.register(config), {
    consume: {
      service: 'near-settlement',
      groupId: config.SETTLEMENT_CONSUMER_GROUP,
      topics: [TOPICS.disbursement],
      // the consumer's own retry defaults; timings as the service's own settings suggest
      options: {
        maxAttempts: 5,
        backoff: {},
        consumerConfig: { sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 500 },
      },
    },
  });
  return app;
}

/** The service as a child process (`node -r @swc-node/register services/near-settlement/src/main.ts`). */
export interface ChildService {
  port: number;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  kill(): Promise<void>;
}

export async function startChild(env: Record<string, string>): Promise<ChildService> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', 'services/near-settlement/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    port,
    process: child,
    exited,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

let producer: Producer | undefined;

/** Publishes a valid DisbursementReleased (fresh ids) as the disbursements service would. */
export async function releaseDisbursement(options: {
  receiver: string;
  asset: string;
  amount: bigint;
  attempt?: number;
  disbursementId?: string;
  eventId?: string;
}): Promise<{ disbursementId: string; payoutId: string; envelope: IntegrationEnvelope }> {
  if (!producer) {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }
  const grantId = randomUUID();
  const disbursementId = options.disbursementId ?? `${grantId}-1`;
  const attempt = options.attempt ?? 1;
  const data = {
    disbursementId,
    grantId: disbursementId.slice(0, 36),
    tranche: Number(disbursementId.slice(37)),
    attempt,
    receiver: options.receiver,
    asset: options.asset,
    amount: options.amount.toString(),
    releasedAt: new Date().toISOString(),
  };
  const envelope: IntegrationEnvelope = integrationEnvelope(
    'DisbursementReleased',
    disbursementId,
    data,
    {
      ...(options.eventId ? { eventId: options.eventId } : {}),
      streamVersion: 3 + attempt,
      actor: 'treasurer-1',
    },
  );
  await producer.send({
    topic: TOPICS.disbursement,
    messages: [toKafkaMessage(envelope)],
    acks: -1,
  });
  return { disbursementId, payoutId: `${disbursementId}-${attempt}`, envelope };
}

/** Collects settlements.payout.v1 from its current end. */
export class PayoutTail {
  private tail?: TopicTail;

  /** Everything read so far, duplicates included. */
  get envelopes(): IntegrationEnvelope[] {
    return this.tail?.messages ?? [];
  }

  async start(): Promise<this> {
    this.tail = await tailTopic(TOPICS.payout, { name: 'settlement-tail' });
    return this;
  }

  /** Distinct events (by event id) about `payoutId`, in arrival order. */
  of(payoutId: string): IntegrationEnvelope[] {
    const seen = new Set<string>();
    return this.envelopes.filter((e) => {
      if (e.data.payoutId !== payoutId || seen.has(e.eventId)) return false;
      seen.add(e.eventId);
      return true;
    });
  }

  /** How many times an event with this type for `payoutId` arrived (duplicates included). */
  deliveries(payoutId: string, type: string): IntegrationEnvelope[] {
    return this.envelopes.filter((e) => e.data.payoutId === payoutId && e.type === type);
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }
}

export async function closeShared(): Promise<void> {
  await producer?.disconnect();
  producer = undefined;
  await pool.end();
}

export async function payoutRow(payoutId: string) {
  const { rows } = await pool.query<{
    status: string;
    lane: string | null;
    failure_reason: string | null;
    current_tx_hash: string | null;
  }>(
    `SELECT status, lane, failure_reason, current_tx_hash FROM near_settlement.payouts WHERE payout_id = $1`,
    [payoutId],
  );
  return rows[0];
}

export async function transactionsOf(payoutId: string) {
  const { rows } = await pool.query<{
    tx_hash: string;
    status: string;
    nonce: string;
    signer_public_key: string;
    death_proof: unknown;
    signed_tx_base64: string;
  }>(
    `SELECT tx_hash, status, nonce::text AS nonce, signer_public_key, death_proof, signed_tx_base64
     FROM near_settlement.payout_transactions WHERE payout_id = $1 ORDER BY signed_at`,
    [payoutId],
  );
  return rows;
}

/** Polls `probe` until it returns something other than undefined. */
export function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what = 'condition',
  timeoutMs = 30_000,
): Promise<T> {
  return eventuallyWithin(probe, timeoutMs, 50, what);
}

/** Resolves when the payout is settled or failed (by the ledger). */
export const finished = (payoutId: string, timeoutMs?: number) =>
  eventually(
    async () => {
      const row = await payoutRow(payoutId);
      return row && (row.status === 'settled' || row.status === 'failed') ? row : undefined;
    },
    `payout ${payoutId} finished`,
    timeoutMs,
  );

/** Transactions the emulator included that paid `receiver` (native or by ft_transfer). */
export function chainPaymentsTo(emulator: NearEmulator, receiver: string) {
  return emulator.chain.allTransactions().filter((tx) => {
    if (tx.receiverId === receiver) return true;
    return (
      tx.receiverId === USDC &&
      tx.signedTxBase64 &&
      Buffer.from(tx.signedTxBase64, 'base64').includes(Buffer.from(`"receiver_id":"${receiver}"`))
    );
  });
}
