import type { MigrationClass } from '@lib/platform';

/** Migrations of the `milestones` schema, run at start in this order. */
export const migrations: MigrationClass[] = [];
