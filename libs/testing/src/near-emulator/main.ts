// `npm run near:emulator`: a local NEAR JSON-RPC with a funded treasury and a USDC contract.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyPair, type KeyPairString } from 'near-api-js';
import { defaultTreasuryKeyFile, parseEmulatorEnv } from './emulator.config';
import { startNearEmulator } from './server';

function toUnits(decimal: string, decimals: number): bigint {
  const [whole, fraction = ''] = decimal.split('.');
  if (fraction.length > decimals) throw new Error(`${decimal} has more than ${decimals} decimals`);
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** The treasury key: given by env, read from the key file, or generated into it (mode 0600). */
function treasuryKey(env: ReturnType<typeof parseEmulatorEnv>): {
  keyPair: KeyPair;
  source: string;
} {
  if (env.NEAR_TREASURY_SECRET_KEY) {
    return {
      keyPair: KeyPair.fromString(env.NEAR_TREASURY_SECRET_KEY as KeyPairString),
      source: 'NEAR_TREASURY_SECRET_KEY',
    };
  }
  const file =
    env.NEAR_TREASURY_SECRET_KEY_FILE ?? defaultTreasuryKeyFile(env.NEAR_TREASURY_ACCOUNT_ID);
  if (existsSync(file)) {
    const credentials = JSON.parse(readFileSync(file, 'utf8')) as {
      account_id?: string;
      private_key: string;
    };
    if (credentials.account_id && credentials.account_id !== env.NEAR_TREASURY_ACCOUNT_ID) {
      throw new Error(
        `${file} holds a key for ${credentials.account_id}, not ${env.NEAR_TREASURY_ACCOUNT_ID}`,
      );
    }
    return { keyPair: KeyPair.fromString(credentials.private_key as KeyPairString), source: file };
  }
  const keyPair = KeyPair.fromRandom('ed25519');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(
    file,
    JSON.stringify({
      account_id: env.NEAR_TREASURY_ACCOUNT_ID,
      public_key: keyPair.getPublicKey().toString(),
      private_key: keyPair.toString(),
    }),
    { mode: 0o600 },
  );
  return { keyPair, source: file };
}

async function main(): Promise<void> {
  const env = parseEmulatorEnv();
  const { keyPair, source } = treasuryKey(env);
  const treasury = env.NEAR_TREASURY_ACCOUNT_ID;
  const emulator = await startNearEmulator({
    host: env.NEAR_EMULATOR_HOST,
    port: env.NEAR_EMULATOR_PORT,
    chainId: env.NEAR_EMULATOR_CHAIN_ID,
    blockIntervalMs: env.NEAR_EMULATOR_BLOCK_MS || null,
    waitTimeoutMs: env.NEAR_EMULATOR_WAIT_TIMEOUT_MS,
    transactionValidityPeriod: env.NEAR_EMULATOR_VALIDITY_PERIOD,
    accounts: [
      {
        accountId: treasury,
        amount: toUnits(env.NEAR_TREASURY_BALANCE_NEAR, 24),
        publicKeys: [keyPair.getPublicKey().toString()],
      },
    ],
    fungibleTokens: [
      {
        contractId: env.NEAR_LOCAL_USDC_CONTRACT_ID,
        symbol: 'USDC',
        name: 'USD Coin',
        decimals: 6,
        balances: { [treasury]: toUnits(env.NEAR_TREASURY_USDC, 6) },
      },
      ...env.NEAR_EXTRA_TOKENS.map((t) => ({
        contractId: t.contractId,
        symbol: t.symbol,
        decimals: t.decimals,
      })),
    ],
  });
  const lines = [
    `NEAR emulator listening on ${emulator.url} (chain ${env.NEAR_EMULATOR_CHAIN_ID}, ${
      env.NEAR_EMULATOR_BLOCK_MS
        ? `a block every ${env.NEAR_EMULATOR_BLOCK_MS} ms`
        : 'manual blocks'
    })`,
    `  treasury account:   ${treasury} (${env.NEAR_TREASURY_BALANCE_NEAR} NEAR, ${env.NEAR_TREASURY_USDC} USDC)`,
    `  treasury public key: ${keyPair.getPublicKey().toString()}`,
    `  treasury secret key: ${source === 'NEAR_TREASURY_SECRET_KEY' ? 'as given in NEAR_TREASURY_SECRET_KEY' : `in ${source}`}`,
    `  USDC contract:      ${env.NEAR_LOCAL_USDC_CONTRACT_ID}`,
    `  services: NEAR_NETWORK=local NEAR_EMULATOR_URL=${emulator.url} NEAR_TREASURY_ACCOUNT_ID=${treasury}${
      source === 'NEAR_TREASURY_SECRET_KEY' ? '' : ` NEAR_TREASURY_SECRET_KEY_FILE=${source}`
    }`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
