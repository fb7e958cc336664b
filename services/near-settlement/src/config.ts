import { z } from 'zod';
import { authConfigShape } from '@lib/auth';
import { nearConfigShape } from '@lib/near';
import { ConfigError, parseConfig, portVariable } from '@lib/platform';

/** Step boundaries where the test-only crash hook can kill the process (see crash-injection.ts). */
export const CRASH_POINTS = [
  /** DisbursementReleased recorded (inbox committed), Kafka offset not yet committed. */
  'after-consume',
  /** Transaction signed in memory, ledger not yet written. */
  'after-sign',
  /** Signed bytes in the ledger, nothing sent yet. */
  'after-store',
  /** send_tx answered, the broadcast not yet recorded. */
  'after-broadcast',
  /** FINAL outcome read from the chain, not yet recorded. */
  'after-outcome',
  /** Final event published to Kafka by the relay, its checkpoint not yet committed. */
  'after-event',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const list = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .optional();

export const configShape = {
  PORT: portVariable(3005),
  ...authConfigShape,
  ...nearConfigShape,
  /** The treasury account (alias of NEAR_TREASURY_ACCOUNT_ID; one of the two is required). */
  TREASURY_ACCOUNT_ID: z.string().min(2).max(64).optional(),
  /** More lane keys of the treasury account: comma-separated `ed25519:…` secrets. */
  NEAR_TREASURY_SECRET_KEYS: list,
  /** More lane keys as files (a key or a near-cli credentials JSON each), comma-separated. */
  NEAR_TREASURY_SECRET_KEY_FILES: list,
  /** Kafka consumer group of DisbursementReleased (replicas share it). */
  SETTLEMENT_CONSUMER_GROUP: z.string().min(1).default('near-settlement-events'),
  /** Kafka session timeout: how soon a dead replica's partitions move (broker minimum 6 s). */
  SETTLEMENT_KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).default(30_000),
  /** Pause between polls of a pending transaction and between retries of a failed RPC call. */
  SETTLEMENT_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** How often an idle lane looks for new payouts, and a replica for lanes without a driver. */
  SETTLEMENT_IDLE_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** Reconcile the ledger with the chain every N seconds; 0 = only by `npm run reconcile`. */
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Test only (refused when NODE_ENV=production): SIGKILL the process at this step boundary. */
  SETTLEMENT_FAULT_CRASH_AT: z.enum(CRASH_POINTS).optional(),
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => {
  // Checked first, so it is named whatever else production refuses.
  if (env.SETTLEMENT_FAULT_CRASH_AT && env.NODE_ENV === 'production') {
    throw new ConfigError([
      {
        variable: 'SETTLEMENT_FAULT_CRASH_AT',
        message: 'the crash hook is for tests and is refused when NODE_ENV=production',
      },
    ]);
  }
  return parseConfig(configShape, env);
};

export type NearSettlementConfig = ReturnType<typeof loadConfig>;
