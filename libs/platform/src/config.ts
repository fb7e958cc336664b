import { z, type ZodRawShape } from 'zod';

/** Raised when the environment does not satisfy a service's config schema; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Variables every service reads: where Postgres and Kafka are, and how to log. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/incubator'),
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .default('127.0.0.1:9092')
    .transform((s) => s.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** An unanswered Idempotency-Key claim older than this is reclaimable (its process died). */
  IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** After SIGTERM/SIGINT a shutdown may take this long; then the process exits 1. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(25),
  /** Idempotency keys are kept this long, then purged. */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
} satisfies ZodRawShape;

/**
 * Parses `env` once against `shape` (merged with the base variables). Throws ConfigError naming
 * each missing or invalid variable; nothing else in a service reads process.env.
 */
export function parseConfig<S extends ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<typeof baseConfigShape & S>> {
  const schema = z.object({ ...baseConfigShape, ...shape });
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: issue.path.join('.') || '(environment)',
        message: issue.message,
      })),
    );
  }
  const problems = productionProblems(result.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/**
 * Secrets that were ever written down in this repository (compose, .env.example, tests, docs):
 * anyone can read them, so production refuses them whatever else holds.
 */
export const KNOWN_DEFAULT_SECRETS: readonly string[] = [
  'local-development-secret-change-me-0123456789',
  'replace-with-at-least-32-random-characters',
  'e2e-secret-0123456789-0123456789-0123456789',
];

/**
 * What a production process (`NODE_ENV=production`) must not run with, checked on every
 * variable the service declares: the HS256 development secret (staff tokens come only from the
 * identity provider's JWKS, which must then be configured), any known default secret, the local
 * NEAR emulator, and plain-http JWKS or NEAR RPC URLs. Empty outside production.
 */
export function productionProblems(
  config: Record<string, unknown>,
): { variable: string; message: string }[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: { variable: string; message: string }[] = [];
  const refuse = (variable: string, message: string) =>
    problems.push({ variable, message: `${message} (NODE_ENV=production)` });
  for (const [variable, value] of Object.entries(config)) {
    if (typeof value !== 'string') continue;
    if (/SECRET/.test(variable) && KNOWN_DEFAULT_SECRETS.includes(value)) {
      refuse(variable, 'is a known default secret, published in this repository');
    } else if (variable === 'AUTH_JWT_SECRET') {
      refuse(
        variable,
        'the HS256 development secret is refused; staff tokens come from AUTH_JWKS_URL',
      );
    }
    if (/JWKS_URL$/.test(variable) && !value.startsWith('https://')) {
      refuse(variable, 'a JWKS URL must be https://');
    }
    if (variable === 'NEAR_RPC_URL' && !value.startsWith('https://')) {
      refuse(variable, 'the NEAR RPC URL must be https://');
    }
  }
  if (config.NEAR_NETWORK === 'local') {
    refuse('NEAR_NETWORK', 'local is the unauthenticated emulator; use testnet or mainnet');
  }
  if ('AUTH_ISSUER' in config && !config.AUTH_JWKS_URL) {
    refuse('AUTH_JWKS_URL', "is required: the identity provider's keys verify staff tokens");
  }
  return problems;
}

/** A port number given as a string in the environment. */
export const portVariable = (fallback: number) =>
  z.coerce.number().int().min(1).max(65535).default(fallback);

export type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;
