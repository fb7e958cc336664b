import type { MigrationClass } from '@lib/platform';

/** Migrations of the `near_settlement` schema, run at start in this order. */
export const migrations: MigrationClass[] = [];
