import { eventStoreMigrations } from '@lib/event-store';
import type { MigrationClass } from '@lib/platform';
import { payoutLedgerMigrations } from './payout/payout-ledger.migrations';

const SCHEMA = 'near_settlement';

/** Migrations of the `near_settlement` schema, run at start in this order. */
export const migrations: MigrationClass[] = [
  ...eventStoreMigrations(SCHEMA),
  ...payoutLedgerMigrations,
];
