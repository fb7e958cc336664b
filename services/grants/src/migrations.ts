import { signInMigrations } from '@lib/auth';
import { eventStoreMigrations } from '@lib/event-store';
import { idempotencyMigrations, type MigrationClass } from '@lib/platform';
import { grantOverviewMigrations } from './grant/grant-overview.projection';

const SCHEMA = 'grants';

/** Migrations of the `grants` schema, run at start in this order. */
export const migrations: MigrationClass[] = [
  ...eventStoreMigrations(SCHEMA),
  ...idempotencyMigrations(SCHEMA),
  // NEP-413 nonces of acceptance and payout-account proofs (the sign-in table's shape).
  ...signInMigrations(SCHEMA),
  ...grantOverviewMigrations(SCHEMA),
];
