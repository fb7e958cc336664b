import { eventStoreMigrations } from '@lib/event-store';
import { idempotencyMigrations, type MigrationClass } from '@lib/platform';
import { disbursementListMigrations } from './disbursement/disbursement-list.projection';
import { grantInfoMigrations } from './grant-info/grant-info.projection';
import { grantInfoVersionMigrations } from './grant-info/grant-info-versions.migration';
import { limitLedgerMigrations } from './treasury/limit-ledger';

const SCHEMA = 'disbursements';

/** Migrations of the `disbursements` schema, run at start in this order. */
export const migrations: MigrationClass[] = [
  ...eventStoreMigrations(SCHEMA),
  ...idempotencyMigrations(SCHEMA),
  ...disbursementListMigrations,
  ...grantInfoMigrations,
  ...limitLedgerMigrations,
  ...grantInfoVersionMigrations,
];
