import { nearAccountIdSchema } from './account-id';

/** Where a NEAR deployment runs; `local` is the RPC emulator from @lib/testing. */
export type NearNetwork = 'local' | 'testnet' | 'mainnet';

/** The native NEAR token (24 decimals, amounts in yoctoNEAR). */
export interface NativeAsset {
  readonly kind: 'native';
  readonly symbol: 'NEAR';
  readonly decimals: 24;
}

/** A NEP-141 fungible token paid through its contract. */
export interface FungibleTokenAsset {
  readonly kind: 'nep141';
  readonly symbol: string;
  readonly decimals: number;
  readonly contractId: string;
}

export type NearAsset = NativeAsset | FungibleTokenAsset;

/** Native NEAR. */
export const NEAR_ASSET: NativeAsset = Object.freeze({
  kind: 'native',
  symbol: 'NEAR',
  decimals: 24,
});

/** Circle's native USDC contract ids; `local` has no fixed id and must be configured. */
export const USDC_CONTRACT_IDS = Object.freeze({
  mainnet: '17208628f84f5d6ad33f0da3bbbeb27ffcb398eac501a31bd6ad2011e36133a1',
  testnet: '3e2210e1184b45b64c8a434c0a7e7b23cc04ea7eb7a6c3c32520d03d4afcb8af',
});

/** Default USDC contract id of the local emulator. */
export const LOCAL_USDC_CONTRACT_ID = 'usdc.test.near';

/** A token added by configuration, beside NEAR and USDC. */
export interface ConfiguredToken {
  symbol: string;
  decimals: number;
  contractId: string;
}

/** Raised for an unknown asset, a bad token definition or an unparsable amount; `code` is stable. */
export class AssetError extends Error {
  constructor(
    readonly code:
      | 'unknown_asset'
      | 'invalid_token'
      | 'invalid_amount'
      | 'too_many_decimals'
      | 'negative_amount',
    message: string,
  ) {
    super(message);
    this.name = 'AssetError';
  }
}

/** The assets a deployment can pay in, looked up by symbol (case-sensitive, e.g. `USDC`). */
export class AssetRegistry {
  private readonly bySymbol = new Map<string, NearAsset>();

  constructor(assets: readonly NearAsset[]) {
    for (const asset of assets) {
      if (this.bySymbol.has(asset.symbol)) {
        throw new AssetError('invalid_token', `asset ${asset.symbol} is defined twice`);
      }
      if (asset.kind === 'nep141') {
        if (!/^[A-Za-z][A-Za-z0-9.]{0,15}$/.test(asset.symbol)) {
          throw new AssetError('invalid_token', `bad token symbol ${JSON.stringify(asset.symbol)}`);
        }
        if (!Number.isInteger(asset.decimals) || asset.decimals < 0 || asset.decimals > 38) {
          throw new AssetError('invalid_token', `bad decimals for ${asset.symbol}`);
        }
        if (!nearAccountIdSchema.safeParse(asset.contractId).success) {
          throw new AssetError('invalid_token', `bad contract id for ${asset.symbol}`);
        }
      }
      this.bySymbol.set(asset.symbol, Object.freeze({ ...asset }));
    }
  }

  /** The asset for `symbol`; throws AssetError `unknown_asset` when it is not configured. */
  get(symbol: string): NearAsset {
    const asset = this.bySymbol.get(symbol);
    if (!asset) throw new AssetError('unknown_asset', `asset ${symbol} is not configured`);
    return asset;
  }

  /** The asset for `symbol`, or undefined. */
  find(symbol: string): NearAsset | undefined {
    return this.bySymbol.get(symbol);
  }

  /** The NEP-141 asset whose contract is `contractId`, if any. */
  findByContract(contractId: string): FungibleTokenAsset | undefined {
    for (const asset of this.bySymbol.values()) {
      if (asset.kind === 'nep141' && asset.contractId === contractId) return asset;
    }
    return undefined;
  }

  list(): NearAsset[] {
    return [...this.bySymbol.values()];
  }
}

/**
 * Builds the registry for a network: NEAR, USDC (Circle's contract on testnet/mainnet,
 * `localUsdcContractId` on local) and any extra tokens from config.
 */
export function createAssetRegistry(options: {
  network: NearNetwork;
  localUsdcContractId?: string;
  extraTokens?: readonly ConfiguredToken[];
}): AssetRegistry {
  const usdcContractId =
    options.network === 'local'
      ? (options.localUsdcContractId ?? LOCAL_USDC_CONTRACT_ID)
      : USDC_CONTRACT_IDS[options.network];
  const tokens: NearAsset[] = [
    NEAR_ASSET,
    { kind: 'nep141', symbol: 'USDC', decimals: 6, contractId: usdcContractId },
    ...(options.extraTokens ?? []).map((t): FungibleTokenAsset => ({ kind: 'nep141', ...t })),
  ];
  return new AssetRegistry(tokens);
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string (e.g. `"2500.50"`) into whole base units of `asset`. Rejects negatives,
 * exponents, signs, whitespace, empty parts and more fractional digits than the asset has.
 */
export function parseAmount(asset: Pick<NearAsset, 'decimals' | 'symbol'>, value: string): bigint {
  if (typeof value !== 'string') {
    throw new AssetError('invalid_amount', 'amount must be a decimal string');
  }
  if (value.startsWith('-')) {
    throw new AssetError('negative_amount', `amount ${value} is negative`);
  }
  const match = DECIMAL.exec(value);
  if (!match) {
    throw new AssetError(
      'invalid_amount',
      `amount ${JSON.stringify(value)} is not a decimal number`,
    );
  }
  const whole = match[1];
  const fraction = match[2] ?? '';
  if (fraction.length > asset.decimals) {
    throw new AssetError(
      'too_many_decimals',
      `${asset.symbol} has ${asset.decimals} decimals; ${value} has ${fraction.length}`,
    );
  }
  return BigInt(whole + fraction.padEnd(asset.decimals, '0'));
}

/** Formats base units of `asset` as a decimal string without trailing zeros (`2500500000n` USDC → `"2500.5"`). */
export function formatAmount(asset: Pick<NearAsset, 'decimals'>, units: bigint): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(asset.decimals + 1, '0');
  const whole = digits.slice(0, digits.length - asset.decimals);
  const fraction = digits.slice(digits.length - asset.decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
