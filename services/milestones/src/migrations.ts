import { eventStoreMigrations } from '@lib/event-store';
import { idempotencyMigrations, type MigrationClass } from '@lib/platform';
import { milestoneListMigrations } from './milestone/milestone-list.projection';

const SCHEMA = 'milestones';

/** Migrations of the `milestones` schema, run at start in this order. */
export const migrations: MigrationClass[] = [
  ...eventStoreMigrations(SCHEMA),
  ...idempotencyMigrations(SCHEMA),
  ...milestoneListMigrations,
];
