import { JsonRpcProvider } from 'near-api-js';
import { z, type ZodRawShape } from 'zod';
import { nearAccountIdSchema } from './account-id';
import {
  createAssetRegistry,
  type AssetRegistry,
  type ConfiguredToken,
  type NearNetwork,
  LOCAL_USDC_CONTRACT_ID,
} from './assets';

/** Public RPC endpoints (FastNEAR; rpc.*.near.org is deprecated and rate-limited). */
export const PUBLIC_RPC_URLS = Object.freeze({
  testnet: 'https://test.rpc.fastnear.com',
  mainnet: 'https://rpc.mainnet.fastnear.com',
});

/** Default URL of the local emulator (`npm run near:emulator`). */
export const DEFAULT_LOCAL_RPC_URL = 'http://127.0.0.1:3030';

/** The RPC URL for `network`: `local` → the emulator URL, else the public endpoint, unless overridden. */
export function rpcUrlFor(
  network: NearNetwork,
  options: { localUrl?: string; override?: string } = {},
): string {
  if (options.override) return options.override;
  return network === 'local'
    ? (options.localUrl ?? DEFAULT_LOCAL_RPC_URL)
    : PUBLIC_RPC_URLS[network];
}

const tokenListSchema = z
  .string()
  .transform((raw, ctx): ConfiguredToken[] => {
    try {
      return JSON.parse(raw) as ConfiguredToken[];
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a JSON array' });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(
      z.object({
        symbol: z.string().min(1),
        decimals: z.number().int().min(0).max(38),
        contractId: nearAccountIdSchema,
      }),
    ),
  );

/**
 * Environment variables a service that talks to NEAR reads; merge into `parseConfig(shape)`.
 * The treasury secret is given either inline (`NEAR_TREASURY_SECRET_KEY`) or as a file path
 * (`NEAR_TREASURY_SECRET_KEY_FILE`); see TreasurySigner.
 */
export const nearConfigShape = {
  NEAR_NETWORK: z.enum(['local', 'testnet', 'mainnet']).default('local'),
  NEAR_RPC_URL: z.string().url().optional(),
  NEAR_EMULATOR_URL: z.string().url().default(DEFAULT_LOCAL_RPC_URL),
  NEAR_LOCAL_USDC_CONTRACT_ID: nearAccountIdSchema.default(LOCAL_USDC_CONTRACT_ID),
  NEAR_EXTRA_TOKENS: tokenListSchema.optional(),
  NEAR_TREASURY_ACCOUNT_ID: nearAccountIdSchema.optional(),
  NEAR_TREASURY_SECRET_KEY: z.string().min(1).optional(),
  NEAR_TREASURY_SECRET_KEY_FILE: z.string().min(1).optional(),
} satisfies ZodRawShape;

export type NearConfig = z.infer<z.ZodObject<typeof nearConfigShape>>;

/** The RPC URL and asset registry that a parsed NearConfig describes. */
export function resolveNearNetwork(config: NearConfig): {
  network: NearNetwork;
  rpcUrl: string;
  assets: AssetRegistry;
} {
  return {
    network: config.NEAR_NETWORK,
    rpcUrl: rpcUrlFor(config.NEAR_NETWORK, {
      localUrl: config.NEAR_EMULATOR_URL,
      override: config.NEAR_RPC_URL,
    }),
    assets: createAssetRegistry({
      network: config.NEAR_NETWORK,
      localUsdcContractId: config.NEAR_LOCAL_USDC_CONTRACT_ID,
      extraTokens: config.NEAR_EXTRA_TOKENS,
    }),
  };
}

/**
 * A near-api-js JsonRpcProvider without its hidden retry loop (retries: 1): near-api-js retries
 * 408/500/503 up to 12 times with backoff, which hides timeouts from the payout state machine.
 * Callers retry by re-broadcasting the same bytes and polling `tx`.
 */
export function createNearProvider(options: {
  url: string;
  headers?: Record<string, string>;
  retries?: number;
}): JsonRpcProvider {
  return new JsonRpcProvider(
    { url: options.url, headers: options.headers },
    { retries: options.retries ?? 1, wait: 200, backoff: 1.5 },
  );
}
