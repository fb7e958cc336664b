import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createDataSource, migrateSchema, withTransaction } from '@lib/platform';
import { TEST_DATABASE_URL } from '@lib/testing';
import { migrations } from '../migrations';
import type { MilestoneCommand } from './milestone.decider';
import type { MilestoneHandler } from './milestone.handler';

// Set-up shared by the milestone int specs (real PostgreSQL).

/** A pool on the test database with the `milestones` schema migrated. */
export async function migratedTestPool(max = 4): Promise<Pool> {
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max });
  const dataSource = createDataSource({
    databaseUrl: TEST_DATABASE_URL,
    schema: 'milestones',
    migrations,
  });
  await migrateSchema(pool, dataSource, 'milestones');
  await dataSource.destroy();
  return pool;
}

/** Runs a grant event's commands (tranche → command) as the consumer runs them: in one transaction. */
export function runAsGrantConsumer(
  pool: Pool,
  handler: MilestoneHandler,
  grantId: string,
  commands: [tranche: number, command: MilestoneCommand][],
): Promise<void> {
  return withTransaction(pool, async (client) => {
    for (const [tranche, command] of commands) {
      await handler.executeInTransaction(grantId, tranche, command, {
        client,
        correlationId: 'c',
        causationId: randomUUID(),
      });
    }
  });
}
