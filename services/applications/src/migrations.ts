import { signInMigrations } from '@lib/auth';
import { eventStoreMigrations } from '@lib/event-store';
import { idempotencyMigrations, type MigrationClass } from '@lib/platform';
import { applicationQueueMigrations } from './application/application-queue.projection';

const SCHEMA = 'applications';

/** Migrations of the `applications` schema, run at start in this order. */
export const migrations: MigrationClass[] = [
  ...eventStoreMigrations(SCHEMA),
  ...idempotencyMigrations(SCHEMA),
  ...signInMigrations(SCHEMA),
  ...applicationQueueMigrations,
];
