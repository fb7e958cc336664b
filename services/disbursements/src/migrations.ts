import type { MigrationClass } from '@lib/platform';

/** Migrations of the `disbursements` schema, run at start in this order. */
export const migrations: MigrationClass[] = [];
