import type { MigrationClass } from '@lib/platform';

/** Migrations of the `grants` schema, run at start in this order. */
export const migrations: MigrationClass[] = [];
