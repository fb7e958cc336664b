import { Pool } from 'pg';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';

/** A migration class as TypeORM expects it (constructed by TypeORM, name carries the timestamp). */
export type MigrationClass = new () => MigrationInterface;

/**
 * A connection pool. A client that loses its server (PostgreSQL restarting, a failover) emits
 * `error`; without a listener Node would end the whole process.
 * - An idle client's error is re-emitted by the pool: reported, and the pool drops the client.
 * - A checked-out client is off the pool's idle listener while it is out: if its server goes away
 *   between two queries (a session holding an advisory lock, a transaction waiting for Kafka) the
 *   error would end the process (fault trials: `Emitted 'error' event on Client instance`). So
 *   every client the pool opens keeps a listener of its own: the error is reported, the client's
 *   next query fails as any query error does, and pg-pool destroys an unqueryable client on
 *   release instead of handing it out again.
 */
export function createPool(
  databaseUrl: string,
  applicationName: string,
  max = 10,
  onIdleError: (error: Error) => void = reportLost(applicationName, 'idle client'),
  onClientError: (error: Error) => void = reportLost(applicationName, 'client'),
): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, application_name: applicationName });
  pool.on('error', onIdleError);
  // Runs for every client the pool opens, once; an idle client's error is reported by both.
  pool.on('connect', (client) => client.on('error', onClientError));
  return pool;
}

const reportLost = (applicationName: string, which: string) => (error: Error) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'warn', pool: applicationName, err: error.message, msg: `PostgreSQL connection of a ${which} lost; the pool replaces it` })}\n`,
  );
};

/**
 * A TypeORM data source scoped to one service's Postgres schema. Read-model entities and
 * migrations live here; the event store itself uses `pg` directly.
 */
export function createDataSource(options: {
  databaseUrl: string;
  schema: string;
  migrations: MigrationClass[];
  entities?: (new () => unknown)[];
}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.databaseUrl,
    schema: options.schema,
    migrations: options.migrations,
    migrationsTableName: 'typeorm_migrations',
    entities: options.entities ?? [],
    synchronize: false,
    logging: false,
    extra: { max: 4 },
  });
}

/**
 * Creates the schema and runs pending migrations. An advisory lock per schema lets several
 * replicas start at once without running the same migration twice.
 */
export async function migrateSchema(
  pool: Pool,
  dataSource: DataSource,
  schema: string,
): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    if (!dataSource.isInitialized) await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`migrations:${schema}`])
      .catch(() => undefined);
    client.release();
  }
}

/** Quotes a Postgres identifier; schema names come from code, this guards against typos only. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier: ${name}`);
  return `"${name}"`;
}

/** Builds a migration class from plain SQL, so services and libs can declare DDL without boilerplate. */
export function sqlMigration(name: string, up: string[], down: string[] = []): MigrationClass {
  const migration = class implements MigrationInterface {
    name = name;
    async up(runner: QueryRunner): Promise<void> {
      for (const statement of up) await runner.query(statement);
    }
    async down(runner: QueryRunner): Promise<void> {
      for (const statement of down) await runner.query(statement);
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}
