// Shared by the Idempotency-Key int tests (real Postgres).
import { randomBytes } from 'node:crypto';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import type { Pool } from 'pg';
import {
  createPool,
  createServiceApp,
  idempotencyMigrations,
  parseConfig,
  PlatformModule,
} from '@lib/platform';

const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

/** Options of {@link idempotencyTestApp}. */
export interface IdempotencyTestAppOptions {
  /** Service name (and the pool's application name). */
  name: string;
  controller: Type;
  /** Environment besides DATABASE_URL and LOG_LEVEL, e.g. the lease and retention. */
  env?: Record<string, string>;
  /** Runs on the app before `init` (e.g. a stand-in for the auth guard). */
  configure?: (app: INestApplication) => void;
}

/**
 * A service app of `controller` on PlatformModule with the idempotency migrations in a fresh
 * schema, and a pool on the test database: set up before all tests of the enclosing `describe`,
 * closed after them with the schema dropped.
 */
export function idempotencyTestApp({
  name,
  controller,
  env,
  configure,
}: IdempotencyTestAppOptions) {
  const schema = `idem_${randomBytes(4).toString('hex')}`;
  let app: INestApplication | undefined;
  let pool: Pool | undefined;

  beforeAll(async () => {
    const config = parseConfig({}, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env });
    @Module({
      imports: [
        PlatformModule.forService({
          name,
          schema,
          config,
          migrations: idempotencyMigrations(schema),
        }),
      ],
      controllers: [controller],
    })
    class TestModule {}
    app = await createServiceApp(TestModule, { quiet: true });
    configure?.(app);
    await app.init();
    pool = createPool(databaseUrl, name, 2);
  });

  afterAll(async () => {
    await app?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });

  return {
    schema,
    get app(): INestApplication {
      if (!app) throw new Error('the test app is not started yet');
      return app;
    },
    get pool(): Pool {
      if (!pool) throw new Error('the test app is not started yet');
      return pool;
    },
  };
}
