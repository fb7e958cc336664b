import { type AssetRegistry, AssetError, parseAmount } from '@lib/near';

/** Policy of one asset: amounts at or above the threshold need two treasurers; a rolling 24 h limit. */
export interface AssetPolicy {
  asset: string;
  decimals: number;
  /** null = not configured: every amount needs two approvals. */
  dualApprovalThreshold: bigint | null;
  /** Base units per rolling 24 hours; an asset without a configured limit has 0 (nothing leaves). */
  dailyLimit: bigint;
}

export interface TreasuryPolicy {
  assets: AssetPolicy[];
  kycRequired: boolean;
  runIntervalSeconds: number;
}

export const WINDOW_HOURS = 24;

/**
 * Parses `NEAR=100,USDC=10000` (decimal amounts in asset units) with the asset registry; throws
 * a message naming the first bad entry.
 */
export function parseAssetAmounts(raw: string, assets: AssetRegistry): Map<string, bigint> {
  const result = new Map<string, bigint>();
  if (raw.trim() === '') return result;
  for (const entry of raw.split(',')) {
    const match = /^\s*([A-Za-z][A-Za-z0-9.]{0,15})\s*=\s*(\S+)\s*$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not ASSET=amount`);
    const [, symbol, amount] = match;
    const asset = assets.find(symbol);
    if (!asset) throw new Error(`unknown asset ${symbol}`);
    if (result.has(symbol)) throw new Error(`${symbol} is listed twice`);
    try {
      result.set(symbol, parseAmount(asset, amount));
    } catch (error) {
      throw new Error(error instanceof AssetError ? error.message : `bad amount for ${symbol}`);
    }
  }
  return result;
}

/** The policy of every configured asset (union of both lists, in the registry's order). */
export function buildPolicy(
  assets: AssetRegistry,
  thresholds: Map<string, bigint>,
  limits: Map<string, bigint>,
  options: { kycRequired: boolean; runIntervalSeconds: number },
): TreasuryPolicy {
  return {
    assets: assets
      .list()
      .filter((a) => thresholds.has(a.symbol) || limits.has(a.symbol))
      .map((a) => ({
        asset: a.symbol,
        decimals: a.decimals,
        dualApprovalThreshold: thresholds.get(a.symbol) ?? null,
        dailyLimit: limits.get(a.symbol) ?? 0n,
      })),
    ...options,
  };
}

/** The policy for `asset`; an unconfigured asset gets the strictest one (two approvals, no limit left). */
export function policyFor(policy: TreasuryPolicy, asset: string): AssetPolicy {
  return (
    policy.assets.find((a) => a.asset === asset) ?? {
      asset,
      decimals: 0,
      dualApprovalThreshold: null,
      dailyLimit: 0n,
    }
  );
}
