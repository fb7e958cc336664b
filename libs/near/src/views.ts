import { PublicKey, type JsonRpcProvider } from 'near-api-js';
import { classifyNearRpcError } from './rpc-error';

/** `final` (the default here) or `optimistic` state. */
export type ViewFinality = 'final' | 'optimistic';

export interface NearAccountView {
  /** Liquid balance in yoctoNEAR. */
  amount: bigint;
  locked: bigint;
  codeHash: string;
  storageUsage: number;
  blockHeight: number;
  blockHash: string;
}

export type AccessKeyPermissionView =
  | 'FullAccess'
  | { FunctionCall: { allowance: string | null; receiver_id: string; method_names: string[] } };

export interface NearAccessKeyView {
  nonce: bigint;
  permission: AccessKeyPermissionView;
  blockHeight: number;
  blockHash: string;
}

async function orNull<T>(read: () => Promise<T>, notFound: string[]): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    const classified = classifyNearRpcError(err);
    if (notFound.includes(classified.code)) return null;
    throw classified;
  }
}

/** The account's state, or null when the account does not exist. */
export async function viewAccount(
  provider: JsonRpcProvider,
  accountId: string,
  finality: ViewFinality = 'final',
): Promise<NearAccountView | null> {
  return orNull(async () => {
    const view = await provider.viewAccount({ accountId, blockQuery: { finality } });
    return {
      amount: BigInt(view.amount),
      locked: BigInt(view.locked),
      codeHash: view.code_hash,
      storageUsage: view.storage_usage,
      blockHeight: view.block_height,
      blockHash: view.block_hash,
    };
  }, ['unknown_account']);
}

/** The access key, or null when the key (or the account) does not exist. */
export async function viewAccessKey(
  provider: JsonRpcProvider,
  accountId: string,
  publicKey: string | PublicKey,
  finality: ViewFinality = 'final',
): Promise<NearAccessKeyView | null> {
  return orNull(async () => {
    const view = await provider.viewAccessKey({
      accountId,
      publicKey: typeof publicKey === 'string' ? PublicKey.fromString(publicKey) : publicKey,
      finalityQuery: { finality },
    });
    return {
      nonce: BigInt(view.nonce),
      permission: view.permission as AccessKeyPermissionView,
      blockHeight: view.block_height,
      blockHash: view.block_hash,
    };
  }, ['unknown_access_key', 'unknown_account']);
}

async function callView<T>(
  provider: JsonRpcProvider,
  contractId: string,
  method: string,
  args: Record<string, unknown>,
  finality: ViewFinality,
): Promise<T | undefined> {
  try {
    return (await provider.callFunction({
      contractId,
      method,
      args,
      blockQuery: { finality },
    })) as T | undefined;
  } catch (err) {
    throw classifyNearRpcError(err);
  }
}

/** NEP-141 `ft_balance_of`, in the token's base units. */
export async function viewFtBalance(
  provider: JsonRpcProvider,
  contractId: string,
  accountId: string,
  finality: ViewFinality = 'final',
): Promise<bigint> {
  const balance = await callView<string>(
    provider,
    contractId,
    'ft_balance_of',
    { account_id: accountId },
    finality,
  );
  return BigInt(balance ?? '0');
}

/** NEP-145 `storage_balance_of`; null when the account is not registered with the contract. */
export async function viewStorageBalance(
  provider: JsonRpcProvider,
  contractId: string,
  accountId: string,
  finality: ViewFinality = 'final',
): Promise<{ total: bigint; available: bigint } | null> {
  const balance = await callView<{ total: string; available: string } | null>(
    provider,
    contractId,
    'storage_balance_of',
    { account_id: accountId },
    finality,
  );
  if (!balance) return null;
  return { total: BigInt(balance.total), available: BigInt(balance.available) };
}

/** NEP-145 `storage_balance_bounds`: what `storage_deposit` must attach to register an account. */
export async function viewStorageBalanceBounds(
  provider: JsonRpcProvider,
  contractId: string,
  finality: ViewFinality = 'final',
): Promise<{ min: bigint; max: bigint | null }> {
  const bounds = await callView<{ min: string; max: string | null }>(
    provider,
    contractId,
    'storage_balance_bounds',
    {},
    finality,
  );
  if (!bounds) throw new Error(`${contractId}.storage_balance_bounds returned nothing`);
  return { min: BigInt(bounds.min), max: bounds.max === null ? null : BigInt(bounds.max) };
}
