import type { MigrationClass } from '@lib/platform';

/** Migrations of the `applications` schema, run at start in this order. */
export const migrations: MigrationClass[] = [];
