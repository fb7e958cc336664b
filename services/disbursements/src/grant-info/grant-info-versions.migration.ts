import { type MigrationClass, sqlMigration } from '@lib/platform';

/**
 * The grant stream version (`envelope.streamVersion` of `grants.grant.v1`) each grant fact was
 * last set from, so an older event arriving late (a dead letter replayed, an out-of-order
 * redelivery) never overwrites a newer fact. Null on rows written before this migration.
 */
export const grantInfoVersionMigrations: MigrationClass[] = [
  sqlMigration(
    'GrantInfoFactVersions1764300000400',
    [
      `ALTER TABLE disbursements.grant_info
         ADD COLUMN kyc_version int,
         ADD COLUMN payout_account_version int,
         ADD COLUMN status_version int`,
    ],
    [
      `ALTER TABLE disbursements.grant_info
         DROP COLUMN kyc_version, DROP COLUMN payout_account_version, DROP COLUMN status_version`,
    ],
  ),
];
