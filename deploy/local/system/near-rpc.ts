/**
 * What the system's tests ask of the NEAR emulator running in its own process, over its JSON-RPC:
 * accounts (sandbox_patch_state), balances (view_account, ft_balance_of) and faults
 * (emulator_inject_fault).
 */
import { randomBytes } from 'node:crypto';
import { KeyPair } from 'near-api-js';

export class NearRpcError extends Error {
  constructor(
    readonly method: string,
    readonly body: unknown,
  ) {
    super(`${method}: ${JSON.stringify(body)}`);
  }
}

/** A JSON-RPC call; throws {@link NearRpcError} on an error answer. */
export async function nearRpc<T = unknown>(
  url: string,
  method: string,
  params: unknown,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: randomBytes(4).toString('hex'), method, params }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as { result?: T; error?: unknown };
  if (body.error !== undefined || !response.ok) throw new NearRpcError(method, body.error ?? body);
  return body.result as T;
}

/** A funded account with a fresh full-access key. */
export async function createAccount(
  url: string,
  options: { accountId?: string; amount?: bigint; keyPair?: KeyPair } = {},
): Promise<{ accountId: string; keyPair: KeyPair; publicKey: string }> {
  const accountId = options.accountId ?? `founder-${randomBytes(5).toString('hex')}.test.near`;
  const keyPair = options.keyPair ?? KeyPair.fromRandom('ed25519');
  const publicKey = keyPair.getPublicKey().toString();
  await nearRpc(url, 'sandbox_patch_state', {
    records: [
      {
        Account: {
          account_id: accountId,
          account: {
            amount: String(options.amount ?? 10n ** 24n),
            locked: '0',
            storage_usage: 182,
          },
        },
      },
      {
        AccessKey: {
          account_id: accountId,
          public_key: publicKey,
          access_key: { nonce: 0, permission: 'FullAccess' },
        },
      },
    ],
  });
  return { accountId, keyPair, publicKey };
}

/** Native balance in yoctoNEAR at FINAL; undefined when the account does not exist. */
export async function nearBalance(url: string, accountId: string): Promise<bigint | undefined> {
  try {
    const view = await nearRpc<{ amount: string }>(url, 'query', {
      request_type: 'view_account',
      finality: 'final',
      account_id: accountId,
    });
    return BigInt(view.amount);
  } catch (error) {
    if (error instanceof NearRpcError && JSON.stringify(error.body).includes('UNKNOWN_ACCOUNT')) {
      return undefined;
    }
    throw error;
  }
}

/** NEP-141 balance in base units at FINAL (0 when not registered). */
export async function tokenBalance(
  url: string,
  contractId: string,
  accountId: string,
): Promise<bigint> {
  const view = await nearRpc<{ result: number[] }>(url, 'query', {
    request_type: 'call_function',
    finality: 'final',
    account_id: contractId,
    method_name: 'ft_balance_of',
    args_base64: Buffer.from(JSON.stringify({ account_id: accountId })).toString('base64'),
  });
  const text = Buffer.from(view.result).toString('utf8');
  return BigInt((JSON.parse(text) as string | null) ?? '0');
}

/** A fault rule for the next matching requests (see the emulator's FaultKind). */
export interface EmulatorFault {
  kind:
    | 'timeout-after-apply'
    | 'timeout-without-apply'
    | 'timeout-apply-next-block'
    | 'drop-connection'
    | 'drop-connection-after-apply'
    | 'delay'
    | 'http-error';
  times?: number;
  methods?: string[] | '*';
  delayMs?: number;
  status?: number;
}

export async function injectFault(url: string, fault: EmulatorFault): Promise<void> {
  await nearRpc(url, 'emulator_inject_fault', {
    kind: fault.kind,
    times: fault.times,
    methods: fault.methods,
    delay_ms: fault.delayMs,
    status: fault.status,
  });
}
