// The one place tests read their infrastructure from (PostgreSQL and Kafka started by
// `npm run kafka:start` / `npm run db:setup`; override with TEST_DATABASE_URL, TEST_KAFKA_BROKERS).

/** The shared test database (never the development one). */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

/** Kafka brokers for tests, as `host:port` strings. */
export const TEST_KAFKA_BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** The environment a service under test starts with (quiet logs, the test infrastructure). */
export const testServiceEnv = (): Record<string, string> => ({
  DATABASE_URL: TEST_DATABASE_URL,
  KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
  LOG_LEVEL: 'silent',
});

/** The HS256 secret of staff tokens in tests (see staffTokens). */
export const TEST_JWT_SECRET = 'e2e-secret-0123456789-0123456789-0123456789';

/**
 * The auth part of a service's test environment: staff tokens signed with TEST_JWT_SECRET, the
 * local NEAR network, and founder keys fetched from `founderJwksUrl` when given.
 */
export const testAuthEnv = (founderJwksUrl?: string): Record<string, string> => ({
  AUTH_JWT_SECRET: TEST_JWT_SECRET,
  NEAR_NETWORK: 'local',
  ...(founderJwksUrl ? { AUTH_FOUNDER_JWKS_URL: founderJwksUrl } : {}),
});
