import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { TOPICS } from '@lib/contracts';
import {
  type NearEmulator,
  type NearEmulatorOptions,
  staffTokens,
  startNearEmulator,
} from '@lib/testing';
import {
  type ChildService,
  closeShared,
  createTreasury,
  fresh,
  JWT_SECRET,
  NEAR,
  PayoutTail,
  settlementEnv,
  startChild,
  startGroupAtEnd,
  startInProcess,
  USDC,
} from './harness';

// What every near-settlement e2e spec does around its tests: an emulated chain with USDC, a
// funded treasury, the service's environment with a consumer group at the topic's end, a tail of
// settlements.payout.v1, and everything it started stopped again.

export type Treasury = ReturnType<typeof createTreasury>;

/** A staff token the service accepts (the development issuer, as its env configures it). */
export const staffToken = staffTokens({
  secret: JWT_SECRET,
  issuer: 'incubator-dev',
  audience: 'incubator-api',
}).staff;

/** What a spec gets once the suite is up. */
export interface SettlementSuite {
  emulator: NearEmulator;
  tail: PayoutTail;
  treasury: Treasury;
  /** The service's environment (its own consumer group, at the end of the topic). */
  env: Record<string, string>;
  /** The service in this process on `env`; closed in afterAll. */
  startInProcess(): Promise<INestApplication>;
  /** The service as a child process on `env` (e.g. `{ ...env, SETTLEMENT_FAULT_CRASH_AT }`); killed in afterAll. */
  startChild(env: Record<string, string>): Promise<ChildService>;
  /** A fresh account on the chain holding 1 NEAR, to be paid. */
  payee(prefix?: string): string;
}

/**
 * Starts the chain, treasury (`lanes`, `near`) and tail in `beforeAll`, clears the emulator's
 * faults after each test and stops all in `afterAll`. `group` names the consumer group.
 */
export function settlementSuite(
  options: {
    emulator?: Omit<NearEmulatorOptions, 'fungibleTokens'>;
    lanes?: number;
    near?: bigint;
    group?: string;
  },
  started: (suite: SettlementSuite) => Promise<void> | void,
): void {
  let emulator: NearEmulator | undefined;
  let tail: PayoutTail | undefined;
  const apps: INestApplication[] = [];
  const children: ChildService[] = [];

  beforeAll(async () => {
    const chain = await startNearEmulator({
      ...options.emulator,
      fungibleTokens: [{ contractId: USDC, symbol: 'USDC', decimals: 6 }],
    });
    emulator = chain;
    const treasury = createTreasury(chain, { lanes: options.lanes ?? 1, near: options.near });
    const env = settlementEnv(
      chain,
      treasury,
      options.group
        ? { SETTLEMENT_CONSUMER_GROUP: `settlement-${options.group}-${randomUUID().slice(0, 8)}` }
        : {},
    );
    await startGroupAtEnd(env.SETTLEMENT_CONSUMER_GROUP, TOPICS.disbursement);
    tail = await new PayoutTail().start();
    await started({
      emulator: chain,
      tail,
      treasury,
      env,
      async startInProcess() {
        const app = await startInProcess(env);
        apps.push(app);
        return app;
      },
      async startChild(childEnv) {
        const child = await startChild(childEnv);
        children.push(child);
        return child;
      },
      payee(prefix = 'founder') {
        const accountId = fresh(prefix);
        chain.createAccount({ accountId, amount: NEAR });
        return accountId;
      },
    });
  });
  afterEach(() => emulator?.faults.clear());
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    for (const app of apps) await app.close();
    await tail?.stop();
    await emulator?.close();
    await closeShared();
  });
}
