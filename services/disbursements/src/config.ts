import { z } from 'zod';
import { authConfigShape } from '@lib/auth';
import { createAssetRegistry, nearConfigShape } from '@lib/near';
import { ConfigError, parseConfig, portVariable } from '@lib/platform';
import { buildPolicy, parseAssetAmounts, type TreasuryPolicy } from './treasury/treasury-policy';

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

export const configShape = {
  PORT: portVariable(3004),
  ...authConfigShape,
  ...nearConfigShape,
  /** Per asset, amounts at or above this need two treasurers: `NEAR=100,USDC=10000`. */
  TREASURY_DUAL_APPROVAL_THRESHOLD: z.string().max(2000).default('NEAR=100,USDC=10000'),
  /** Per asset, what may leave in any rolling 24 hours: `NEAR=1000,USDC=100000`. */
  TREASURY_DAILY_LIMIT: z.string().max(2000).default('NEAR=1000,USDC=100000'),
  /** Releases need verified, unexpired KYC on the grant. */
  KYC_REQUIRED: flag(true),
  /** Scheduled treasury run; 0 = only on demand (tests). */
  TREASURY_RUN_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
};

/**
 * Parsed once at start; an invalid or missing variable stops the process naming it. The treasury
 * policy is parsed with the asset registry of the configured network.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = parseConfig(configShape, env);
  const assets = createAssetRegistry({
    network: config.NEAR_NETWORK,
    localUsdcContractId: config.NEAR_LOCAL_USDC_CONTRACT_ID,
    extraTokens: config.NEAR_EXTRA_TOKENS,
  });
  const parse = (variable: string, raw: string) => {
    try {
      return parseAssetAmounts(raw, assets);
    } catch (error) {
      throw new ConfigError([{ variable, message: (error as Error).message }]);
    }
  };
  const policy: TreasuryPolicy = buildPolicy(
    assets,
    parse('TREASURY_DUAL_APPROVAL_THRESHOLD', config.TREASURY_DUAL_APPROVAL_THRESHOLD),
    parse('TREASURY_DAILY_LIMIT', config.TREASURY_DAILY_LIMIT),
    { kycRequired: config.KYC_REQUIRED, runIntervalSeconds: config.TREASURY_RUN_INTERVAL_SECONDS },
  );
  return { ...config, policy };
}

export type DisbursementsConfig = ReturnType<typeof loadConfig>;
