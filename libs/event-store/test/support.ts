import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  installEventStoreSchema,
  PostgresEventStore,
  type EventStoreOptions,
  type NewEvent,
} from '../src';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

export interface TestStore {
  pool: Pool;
  schema: string;
  store: PostgresEventStore;
  drop: () => Promise<void>;
}

/** A store in a fresh schema `es_<hex>`; `drop()` removes the schema and ends the pool. */
export async function freshStore(
  options: EventStoreOptions & { max?: number } = {},
): Promise<TestStore> {
  const schema = `es_${randomBytes(6).toString('hex')}`;
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: options.max ?? 8 });
  pool.on('error', () => undefined);
  await installEventStoreSchema(pool, schema);
  return {
    pool,
    schema,
    store: new PostgresEventStore(pool, schema, options),
    drop: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

export function newEvent(
  type: string,
  data: Record<string, unknown> = {},
  extra: Partial<NewEvent> = {},
): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: 'user:test',
      occurredAt: new Date('2026-11-26T10:00:00.123Z'),
    },
    ...extra,
  };
}

export const streamOf = (aggregate: string): string => `${aggregate}-${randomUUID()}`;

/** Polls `check` until it returns a value other than undefined/false (no timing assertions). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
