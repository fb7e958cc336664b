// The emulator's JSON-RPC server over Node's http module: dispatch, waiting, faults, timer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyPair, PublicKey } from 'near-api-js';
import {
  NearChain,
  type AccessKeyPermission,
  type Block,
  type StateRecord,
  type TransactionRecord,
} from './chain';
import { FaultController, SEND_METHODS, type FaultKind, type FaultRule } from './faults';
import {
  internalError,
  levelRank,
  methodNotFound,
  parseError,
  parseLevel,
  RpcFailure,
  timeoutError,
  unknownTransaction,
  type TxExecutionLevel,
} from './wire';

/** A token contract the emulator runs natively (NEP-141 + NEP-145). */
export interface EmulatedTokenConfig {
  contractId: string;
  symbol: string;
  decimals: number;
  name?: string;
  /** storage_balance_bounds min (= max), yoctoNEAR. Default 0.00125 NEAR. */
  storageMin?: bigint;
  /** Initial holders (registered with these balances). */
  balances?: Record<string, bigint>;
}

/** An account present from genesis. */
export interface GenesisAccount {
  accountId: string;
  /** yoctoNEAR */
  amount: bigint;
  /** Full-access keys (`ed25519:…`). */
  publicKeys?: string[];
}

export interface NearEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  chainId?: string;
  genesisHeight?: number;
  /** Produce a block every N ms. Default null: blocks only advance via stepBlocks / waits. */
  blockIntervalMs?: number | null;
  /** Blocks a tx's block hash stays valid; default 86,400 like mainnet. */
  transactionValidityPeriod?: number;
  /** yoctoNEAR per gas; default 100,000,000 (mainnet minimum). */
  gasPrice?: bigint;
  /** How long send_tx / tx wait for a level before answering 408 TIMEOUT_ERROR. Default 1,000 ms. */
  waitTimeoutMs?: number;
  /**
   * Without a block timer, a request waiting for a level that needs more blocks (e.g. FINAL)
   * produces them itself. Default true; set false to see `pending`/timeouts in manual mode.
   */
  autoStepWhenWaiting?: boolean;
  fungibleTokens?: EmulatedTokenConfig[];
  accounts?: GenesisAccount[];
  /** Receives one line per request (method and outcome); default silent. */
  log?: (line: string) => void;
}

/** A funded account created by a test helper, with its key pair. */
export interface EmulatorAccount {
  accountId: string;
  keyPair: KeyPair;
  publicKey: string;
}

/** A running emulator. */
export interface NearEmulator {
  /** `http://host:port` to give near-api-js's JsonRpcProvider. */
  readonly url: string;
  readonly faults: FaultController;
  readonly chain: NearChain;
  /** Produces `n` blocks (default 1), applying queued transactions. */
  stepBlocks(n?: number): Block;
  head(): { height: number; hash: string };
  /** Applies sandbox_patch_state records (Account, AccessKey, Contract, FungibleToken, FungibleTokenBalance). */
  patchState(records: StateRecord[]): void;
  /** Creates (or tops up) an account with a fresh full-access key. */
  createAccount(options: {
    accountId: string;
    amount?: bigint;
    keyPair?: KeyPair;
  }): EmulatorAccount;
  addAccessKey(options: {
    accountId: string;
    publicKey: string;
    permission?:
      | AccessKeyPermission
      | 'FullAccess'
      | { receiverId: string; methodNames?: string[]; allowance?: bigint | null };
    nonce?: bigint;
  }): void;
  /** Current (optimistic) balance in yoctoNEAR, or undefined when the account does not exist. */
  balanceOf(accountId: string): bigint | undefined;
  accessKey(
    accountId: string,
    publicKey: string,
  ): { nonce: bigint; permission: AccessKeyPermission } | undefined;
  deployFungibleToken(config: EmulatedTokenConfig): void;
  /** Token balance; undefined when `accountId` is not registered with the token. */
  ftBalanceOf(contractId: string, accountId: string): bigint | undefined;
  /** Registers `accountId` with the token (if needed) and sets its balance. */
  setFtBalance(contractId: string, accountId: string, balance: bigint): void;
  transaction(hash: string): TransactionRecord | undefined;
  /** JSON-RPC methods received, in order (for assertions such as "sent once"). */
  requests(): readonly string[];
  close(): Promise<void>;
}

const DEFAULT_STORAGE_MIN = 1_250_000_000_000_000_000_000n;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function decodeBase64Tx(value: unknown): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length === 0) {
    throw parseError('Failed to decode transaction: invalid base64');
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

type Params = Record<string, unknown> | unknown[] | undefined;

function asObject(params: Params): Record<string, unknown> {
  if (params && !Array.isArray(params) && typeof params === 'object') return params;
  throw parseError('params must be an object');
}

/** Starts the emulator on `options.port` (default: a free port). */
export async function startNearEmulator(options: NearEmulatorOptions = {}): Promise<NearEmulator> {
  const chain = new NearChain({
    chainId: options.chainId ?? 'localnet',
    genesisHeight: options.genesisHeight ?? 1000,
    transactionValidityPeriod: options.transactionValidityPeriod ?? 86_400,
    gasPrice: options.gasPrice ?? 100_000_000n,
    nominalBlockMs: options.blockIntervalMs ?? 1000,
    retainedSnapshots: 16,
  });
  const faults = new FaultController();
  const waitTimeoutMs = options.waitTimeoutMs ?? 1000;
  const manual = !options.blockIntervalMs;
  const autoStep = manual && (options.autoStepWhenWaiting ?? true);
  const log = options.log ?? (() => undefined);
  const methodsSeen: string[] = [];

  const deployFungibleToken = (config: EmulatedTokenConfig) => {
    chain.applyStateRecords([
      {
        FungibleToken: {
          contract_id: config.contractId,
          symbol: config.symbol,
          name: config.name ?? config.symbol,
          decimals: config.decimals,
          storage_min: (config.storageMin ?? DEFAULT_STORAGE_MIN).toString(),
        },
      },
    ]);
    for (const [holder, balance] of Object.entries(config.balances ?? {})) {
      setFtBalance(config.contractId, holder, balance);
    }
  };
  const setFtBalance = (contractId: string, accountId: string, balance: bigint) => {
    chain.applyStateRecords([
      {
        FungibleTokenBalance: {
          contract_id: contractId,
          account_id: accountId,
          balance: balance.toString(),
        },
      },
    ]);
  };
  const addAccessKey: NearEmulator['addAccessKey'] = ({
    accountId,
    publicKey,
    permission,
    nonce,
  }) => {
    let resolved: AccessKeyPermission = 'FullAccess';
    if (permission && permission !== 'FullAccess') {
      if ('FunctionCall' in permission) resolved = permission;
      else {
        resolved = {
          FunctionCall: {
            allowance: permission.allowance ?? null,
            receiverId: permission.receiverId,
            methodNames: permission.methodNames ?? [],
          },
        };
      }
    }
    const permissionJson =
      resolved === 'FullAccess'
        ? 'FullAccess'
        : {
            FunctionCall: {
              allowance: resolved.FunctionCall.allowance?.toString() ?? null,
              receiver_id: resolved.FunctionCall.receiverId,
              method_names: resolved.FunctionCall.methodNames,
            },
          };
    chain.applyStateRecords([
      {
        AccessKey: {
          account_id: accountId,
          public_key: publicKey,
          access_key: {
            nonce: (nonce ?? BigInt(chain.head.height - 1) * 1_000_000n).toString(),
            permission: permissionJson,
          },
        },
      },
    ]);
  };
  const createAccount: NearEmulator['createAccount'] = ({ accountId, amount, keyPair }) => {
    const pair = keyPair ?? KeyPair.fromRandom('ed25519');
    chain.applyStateRecords([
      {
        Account: {
          account_id: accountId,
          account: {
            amount: (amount ?? 100n * 10n ** 24n).toString(),
            locked: '0',
            storage_usage: 182,
          },
        },
      },
    ]);
    const publicKey = pair.getPublicKey().toString();
    addAccessKey({ accountId, publicKey });
    return { accountId, keyPair: pair, publicKey };
  };

  for (const account of options.accounts ?? []) {
    chain.applyStateRecords([
      {
        Account: {
          account_id: account.accountId,
          account: { amount: account.amount.toString(), locked: '0' },
        },
      },
    ]);
    for (const publicKey of account.publicKeys ?? [])
      addAccessKey({ accountId: account.accountId, publicKey });
  }
  for (const token of options.fungibleTokens ?? []) deployFungibleToken(token);

  /** Waits until tx `hash` reaches `level`; 408 TIMEOUT_ERROR after waitTimeoutMs. */
  async function waitForLevel(hash: string, level: TxExecutionLevel, withReceipts: boolean) {
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      const record = chain.transaction(hash);
      if (record && levelRank(chain.levelOf(record)) >= levelRank(level)) {
        return chain.outcomeView(record, withReceipts);
      }
      if (autoStep && (record || chain.isQueued(hash))) {
        chain.produceBlock();
        continue;
      }
      if (Date.now() >= deadline) throw timeoutError();
      await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
    }
  }

  async function sendTx(bytes: Uint8Array, level: TxExecutionLevel) {
    if (level === 'NONE') {
      chain.enqueue(bytes);
      return { final_execution_status: 'NONE' };
    }
    const record = chain.submit(bytes);
    return waitForLevel(record.hash, level, false);
  }

  async function txStatus(params: Params, withReceipts: boolean) {
    let hash: string;
    let level: TxExecutionLevel;
    if (Array.isArray(params)) {
      hash = String(params[0]);
      level = 'EXECUTED_OPTIMISTIC';
    } else {
      const p = asObject(params);
      level = parseLevel(p.wait_until, 'EXECUTED_OPTIMISTIC');
      if (p.signed_tx_base64 !== undefined) {
        // This form validates (and so may submit) an unknown tx, like nearcore.
        const bytes = decodeBase64Tx(p.signed_tx_base64);
        const parsed = chain.parse(bytes);
        if (!chain.transaction(parsed.hash) && level !== 'NONE') chain.submit(bytes);
        hash = parsed.hash;
      } else {
        hash = String(p.tx_hash);
      }
    }
    const record = chain.transaction(hash);
    if (!record && level === 'NONE') throw unknownTransaction(hash);
    if (record && level === 'NONE') return chain.outcomeView(record, withReceipts);
    return waitForLevel(hash, level, withReceipts);
  }

  function query(params: Params) {
    const p = asObject(params);
    const block = chain.resolveBlockReference(p);
    const state = chain.stateAt(block);
    const accountId = String(p.account_id);
    switch (p.request_type) {
      case 'view_account':
        return chain.viewAccount(state, block, accountId);
      case 'view_access_key':
        return chain.viewAccessKey(state, block, accountId, String(p.public_key));
      case 'view_access_key_list':
        return chain.viewAccessKeyList(state, block, accountId);
      case 'call_function': {
        const args = Buffer.from(typeof p.args_base64 === 'string' ? p.args_base64 : '', 'base64');
        return chain.callView(state, block, accountId, String(p.method_name), new Uint8Array(args));
      }
      default:
        throw parseError(
          `the emulator does not support request_type ${JSON.stringify(p.request_type)}`,
        );
    }
  }

  async function dispatch(method: string, params: Params): Promise<unknown> {
    switch (method) {
      case 'block': {
        const p = Array.isArray(params) ? { block_id: params[0] } : asObject(params);
        return chain.blockView(chain.resolveBlockReference(p));
      }
      case 'query':
        return query(params);
      case 'send_tx': {
        const p = asObject(params);
        return sendTx(
          decodeBase64Tx(p.signed_tx_base64),
          parseLevel(p.wait_until, 'EXECUTED_OPTIMISTIC'),
        );
      }
      case 'broadcast_tx_async': {
        const list = Array.isArray(params) ? params : [];
        return chain.enqueue(decodeBase64Tx(list[0]));
      }
      case 'broadcast_tx_commit': {
        const list = Array.isArray(params) ? params : [];
        return sendTx(decodeBase64Tx(list[0]), 'EXECUTED_OPTIMISTIC');
      }
      case 'tx':
        return txStatus(params, false);
      case 'EXPERIMENTAL_tx_status':
        return txStatus(params, true);
      case 'gas_price': {
        const id = Array.isArray(params) ? params[0] : asObject(params).block_id;
        if (id !== null && id !== undefined) chain.resolveBlockReference({ block_id: id });
        return { gas_price: chain.options.gasPrice.toString() };
      }
      case 'status':
        return chain.statusView();
      case 'health':
        return null;
      case 'EXPERIMENTAL_protocol_config':
        return chain.protocolConfigView();
      case 'sandbox_patch_state': {
        const records = asObject(params).records;
        if (!Array.isArray(records)) throw parseError('sandbox_patch_state needs `records`');
        chain.applyStateRecords(records as StateRecord[]);
        return {};
      }
      case 'sandbox_fast_forward': {
        const delta = Number(asObject(params).delta_height);
        if (!Number.isInteger(delta) || delta < 0)
          throw parseError('delta_height must be a non-negative integer');
        for (let i = 0; i < delta; i++) chain.produceBlock();
        return {};
      }
      // Emulator extension so that a separate process (e2e tests) can inject faults over HTTP.
      case 'emulator_inject_fault': {
        const p = asObject(params);
        faults.inject({
          kind: String(p.kind) as FaultKind,
          times: p.times === undefined ? 1 : Number(p.times),
          methods: p.methods === undefined ? SEND_METHODS : (p.methods as string[] | '*'),
          delayMs: p.delay_ms === undefined ? undefined : Number(p.delay_ms),
          status: p.status === undefined ? undefined : Number(p.status),
        });
        return {};
      }
      default:
        throw methodNotFound(method);
    }
  }

  function respond(res: ServerResponse, httpStatus: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(httpStatus, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  function errorBody(id: unknown, failure: RpcFailure) {
    return { jsonrpc: '2.0', id, error: failure.error };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    const raw = await readBody(req);
    let request: { id?: unknown; method?: unknown; params?: Params };
    try {
      request = JSON.parse(raw) as typeof request;
    } catch {
      respond(res, 400, errorBody(null, parseError('invalid JSON')));
      return;
    }
    const id = request.id ?? null;
    const method = typeof request.method === 'string' ? request.method : '';
    methodsSeen.push(method);
    const fault: FaultRule | undefined = faults.take(method);
    if (fault) log(`fault ${fault.kind} on ${method}`);

    if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 0);
    if (fault?.kind === 'http-error') {
      const status = fault.status ?? 500;
      if (status === 500)
        respond(res, 500, errorBody(id, internalError('injected internal error')));
      else
        res
          .writeHead(status, { 'Content-Type': 'text/plain' })
          .end(status === 502 ? 'Bad Gateway' : 'Service Unavailable');
      return;
    }
    if (fault?.kind === 'drop-connection') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'timeout-without-apply') {
      respond(res, 408, errorBody(id, timeoutError()));
      return;
    }
    if (fault?.kind === 'timeout-apply-next-block') {
      try {
        const p = request.params;
        const encoded = Array.isArray(p) ? p[0] : asObject(p).signed_tx_base64;
        chain.enqueue(decodeBase64Tx(encoded));
      } catch {
        // an undecodable tx is simply lost
      }
      respond(res, 408, errorBody(id, timeoutError()));
      return;
    }

    let status = 200;
    let body: unknown;
    try {
      body = { jsonrpc: '2.0', id, result: await dispatch(method, request.params) };
    } catch (err) {
      const failure =
        err instanceof RpcFailure ? err : internalError((err as Error).message ?? String(err));
      status = failure.httpStatus;
      body = errorBody(id, failure);
    }
    log(`${method} → ${status}`);
    if (fault?.kind === 'timeout-after-apply') {
      respond(res, 408, errorBody(id, timeoutError()));
      return;
    }
    if (fault?.kind === 'drop-connection-after-apply') {
      req.socket.destroy();
      return;
    }
    respond(res, status, body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`emulator crashed on a request: ${String(err)}`);
      if (!res.headersSent) respond(res, 500, errorBody(null, internalError(String(err))));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const timer = options.blockIntervalMs
    ? setInterval(() => chain.produceBlock(), options.blockIntervalMs)
    : undefined;

  return {
    url: `http://${host}:${address.port}`,
    faults,
    chain,
    stepBlocks(n = 1) {
      for (let i = 0; i < n; i++) chain.produceBlock();
      return chain.head;
    },
    head: () => ({ height: chain.head.height, hash: chain.head.hash }),
    patchState: (records) => chain.applyStateRecords(records),
    createAccount,
    addAccessKey,
    balanceOf: (accountId) => chain.state.accounts.get(accountId)?.amount,
    accessKey(accountId, publicKey) {
      const key = chain.state.accessKeys
        .get(accountId)
        ?.get(PublicKey.fromString(publicKey).toString());
      return key ? structuredClone(key) : undefined;
    },
    deployFungibleToken,
    ftBalanceOf: (contractId, accountId) =>
      chain.state.tokens.get(contractId)?.balances.get(accountId),
    setFtBalance,
    transaction: (hash) => chain.transaction(hash),
    requests: () => [...methodsSeen],
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
