// NEP-141 + NEP-145 semantics of near-contract-standards' FungibleToken, with its panic messages.

/** A token contract's state. */
export interface FungibleTokenState {
  name: string;
  symbol: string;
  decimals: number;
  /** NEP-145 storage_balance_bounds min (= max) in yoctoNEAR. */
  storageMin: bigint;
  totalSupply: bigint;
  /** Registered accounts and their token balance. */
  balances: Map<string, bigint>;
}

/** A contract panic; the runtime reports it as `Smart contract panicked: <message>`. */
export class ContractPanic extends Error {}
/** The method does not exist on the contract (`MethodResolveError(MethodNotFound)`). */
export class MethodNotFound extends Error {}
/** A host function that is not allowed in view calls was used (`ProhibitedInView`). */
export class ProhibitedInView extends Error {
  constructor(readonly hostFunction: string) {
    super(`ProhibitedInView { method_name: "${hostFunction}" }`);
  }
}

export interface FtCallContext {
  /** The account calling (the tx signer for a direct call). */
  predecessorId: string;
  attachedDeposit: bigint;
  /** View calls (RPC `call_function`) may not read the deposit or change state. */
  view: boolean;
}

export interface FtCallResult {
  /** JSON return value; undefined = returns nothing. */
  value?: unknown;
  logs: string[];
  /** NEAR the contract sends back (NEP-145 refunds). */
  refunds: { to: string; amount: bigint }[];
}

const U128 = /^\d{1,39}$/;

function parseArgs(raw: Uint8Array): Record<string, unknown> {
  if (raw.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through to the near-sdk panic below
  }
  throw new ContractPanic('Failed to deserialize input from JSON.');
}

function requireString(args: Record<string, unknown>, field: string): string {
  const value = args[field];
  if (typeof value !== 'string') {
    throw new ContractPanic(`Failed to deserialize input from JSON.: missing field \`${field}\``);
  }
  return value;
}

function requireU128(args: Record<string, unknown>, field: string): bigint {
  const value = requireString(args, field);
  if (!U128.test(value) || BigInt(value) >= 1n << 128n) {
    throw new ContractPanic('Failed to deserialize input from JSON.');
  }
  return BigInt(value);
}

function storageBalanceOf(ft: FungibleTokenState, accountId: string) {
  return ft.balances.has(accountId) ? { total: ft.storageMin.toString(), available: '0' } : null;
}

function attachedDeposit(ctx: FtCallContext): bigint {
  if (ctx.view) throw new ProhibitedInView('attached_deposit');
  return ctx.attachedDeposit;
}

function balanceOfRegistered(ft: FungibleTokenState, accountId: string): bigint {
  const balance = ft.balances.get(accountId);
  if (balance === undefined) throw new ContractPanic(`The account ${accountId} is not registered`);
  return balance;
}

/** Runs `method` against `ft` (mutating it). Throws ContractPanic / MethodNotFound / ProhibitedInView. */
export function callFungibleToken(
  ft: FungibleTokenState,
  method: string,
  rawArgs: Uint8Array,
  ctx: FtCallContext,
): FtCallResult {
  const logs: string[] = [];
  const refunds: FtCallResult['refunds'] = [];
  switch (method) {
    case 'ft_balance_of': {
      const accountId = requireString(parseArgs(rawArgs), 'account_id');
      return { value: (ft.balances.get(accountId) ?? 0n).toString(), logs, refunds };
    }
    case 'ft_total_supply':
      return { value: ft.totalSupply.toString(), logs, refunds };
    case 'ft_metadata':
      return {
        value: {
          spec: 'ft-1.0.0',
          name: ft.name,
          symbol: ft.symbol,
          icon: null,
          reference: null,
          reference_hash: null,
          decimals: ft.decimals,
        },
        logs,
        refunds,
      };
    case 'storage_balance_of': {
      const accountId = requireString(parseArgs(rawArgs), 'account_id');
      return { value: storageBalanceOf(ft, accountId), logs, refunds };
    }
    case 'storage_balance_bounds':
      return {
        value: { min: ft.storageMin.toString(), max: ft.storageMin.toString() },
        logs,
        refunds,
      };
    case 'storage_deposit': {
      const args = parseArgs(rawArgs);
      const amount = attachedDeposit(ctx);
      const accountId =
        args.account_id === undefined || args.account_id === null
          ? ctx.predecessorId
          : requireString(args, 'account_id');
      if (ft.balances.has(accountId)) {
        logs.push('The account is already registered, refunding the deposit');
        if (amount > 0n) refunds.push({ to: ctx.predecessorId, amount });
      } else {
        if (amount < ft.storageMin) {
          throw new ContractPanic('The attached deposit is less than the minimum storage balance');
        }
        ft.balances.set(accountId, 0n);
        const refund = amount - ft.storageMin;
        if (refund > 0n) refunds.push({ to: ctx.predecessorId, amount: refund });
      }
      return { value: storageBalanceOf(ft, accountId), logs, refunds };
    }
    case 'ft_transfer': {
      if (attachedDeposit(ctx) !== 1n) {
        throw new ContractPanic('Requires attached deposit of exactly 1 yoctoNEAR');
      }
      const args = parseArgs(rawArgs);
      const receiverId = requireString(args, 'receiver_id');
      const amount = requireU128(args, 'amount');
      const memo =
        args.memo === undefined || args.memo === null ? undefined : requireString(args, 'memo');
      const senderId = ctx.predecessorId;
      if (senderId === receiverId)
        throw new ContractPanic('Sender and receiver should be different');
      if (amount <= 0n) throw new ContractPanic('The amount should be a positive number');
      const senderBalance = balanceOfRegistered(ft, senderId);
      if (senderBalance < amount)
        throw new ContractPanic("The account doesn't have enough balance");
      ft.balances.set(senderId, senderBalance - amount);
      const receiverBalance = balanceOfRegistered(ft, receiverId);
      ft.balances.set(receiverId, receiverBalance + amount);
      const event: Record<string, string> = {
        old_owner_id: senderId,
        new_owner_id: receiverId,
        amount: amount.toString(),
      };
      if (memo !== undefined) event.memo = memo;
      logs.push(
        `EVENT_JSON:${JSON.stringify({ standard: 'nep141', version: '1.0.0', event: 'ft_transfer', data: [event] })}`,
      );
      return { logs, refunds };
    }
    default:
      throw new MethodNotFound(method);
  }
}
