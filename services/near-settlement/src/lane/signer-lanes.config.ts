import { TreasuryKeyError, TreasurySigner } from '@lib/near';
import type { NearSettlementConfig } from '../config';

/** One full-access key of the treasury account: its own nonce order, lock and driver. */
export interface SignerLane {
  accountId: string;
  publicKey: string;
  signer: TreasurySigner;
}

/** The treasury account id from config (NEAR_TREASURY_ACCOUNT_ID, or its alias TREASURY_ACCOUNT_ID). */
export function treasuryAccountOf(config: NearSettlementConfig): string {
  const accountId = config.NEAR_TREASURY_ACCOUNT_ID ?? config.TREASURY_ACCOUNT_ID;
  if (!accountId) {
    throw new TreasuryKeyError(
      'invalid_account',
      'NEAR_TREASURY_ACCOUNT_ID (or TREASURY_ACCOUNT_ID) is required',
    );
  }
  return accountId;
}

/**
 * Every configured lane key (single key, key list, key files), deduplicated by public key.
 * Secrets stay inside TreasurySigner; errors name the variable, never the secret.
 */
export function loadSignerLanes(config: NearSettlementConfig): SignerLane[] {
  const accountId = treasuryAccountOf(config);
  const signers: TreasurySigner[] = [];
  if (config.NEAR_TREASURY_SECRET_KEY || config.NEAR_TREASURY_SECRET_KEY_FILE) {
    signers.push(
      TreasurySigner.load({
        accountId,
        secretKey: config.NEAR_TREASURY_SECRET_KEY,
        secretKeyFile: config.NEAR_TREASURY_SECRET_KEY_FILE,
      }),
    );
  }
  for (const secretKey of config.NEAR_TREASURY_SECRET_KEYS ?? []) {
    signers.push(TreasurySigner.load({ accountId, secretKey }));
  }
  for (const secretKeyFile of config.NEAR_TREASURY_SECRET_KEY_FILES ?? []) {
    signers.push(TreasurySigner.load({ accountId, secretKeyFile }));
  }
  const lanes = new Map<string, SignerLane>();
  for (const signer of signers) {
    lanes.set(signer.publicKey, { accountId, publicKey: signer.publicKey, signer });
  }
  if (lanes.size === 0) {
    throw new TreasuryKeyError('missing_key', 'no treasury lane key configured');
  }
  return [...lanes.values()];
}
