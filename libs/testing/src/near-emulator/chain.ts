// The emulated chain: blocks, state, transaction validation and execution, all in memory.
// It is synchronous; waiting, HTTP and faults live in server.ts.
import { createHash } from 'node:crypto';
import { base64Encode, baseEncode, KeyType, PublicKey, SignedTransaction } from 'near-api-js';
import {
  callFungibleToken,
  ContractPanic,
  MethodNotFound,
  ProhibitedInView,
  type FungibleTokenState,
} from './fungible-token';
import {
  internalError,
  invalidTransaction,
  legacyQueryError,
  parseError,
  unknownAccount,
  unknownBlock,
  type TxExecutionLevel,
} from './wire';

// Gas model: fixed, deterministic costs close to mainnet's for the actions payouts use.
/** Gas burnt converting a transaction into a receipt (tx outcome). */
export const TX_CONVERSION_GAS = 223_182_562_500n;
/** Gas burnt executing a Transfer action. */
export const TRANSFER_GAS = 223_182_562_500n;
/** Gas burnt by one emulated function call (a real NEP-141 call burns 2–5 TGas). */
export const FUNCTION_CALL_GAS = 2_500_000_000_000n;
/** Gas burnt by CreateAccount / AddKey / DeleteKey. */
export const SIMPLE_ACTION_GAS = 100_000_000_000n;
/** nearcore's ACCESS_KEY_NONCE_RANGE_MULTIPLIER. */
export const NONCE_RANGE_MULTIPLIER = 1_000_000n;
const EMPTY_CODE_HASH = '11111111111111111111111111111111';

export type AccessKeyPermission =
  | 'FullAccess'
  | { FunctionCall: { allowance: bigint | null; receiverId: string; methodNames: string[] } };

export interface AccountState {
  amount: bigint;
  locked: bigint;
  codeHash: string;
  storageUsage: number;
}

export interface AccessKeyState {
  nonce: bigint;
  permission: AccessKeyPermission;
}

export interface ChainState {
  accounts: Map<string, AccountState>;
  /** account id → public key string → key */
  accessKeys: Map<string, Map<string, AccessKeyState>>;
  /** contract account id → token state */
  tokens: Map<string, FungibleTokenState>;
}

export interface Block {
  height: number;
  hash: string;
  prevHash: string;
  timestampNs: bigint;
}

/** A JSON value (what outcome views are made of). */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TransactionRecord {
  hash: string;
  signerId: string;
  receiverId: string;
  nonce: bigint;
  signedTxBase64: string;
  includedHeight: number;
  includedBlockHash: string;
  success: boolean;
  /** FinalExecutionOutcomeView without `final_execution_status`. */
  outcome: Record<string, Json>;
  /** EXPERIMENTAL_tx_status `receipts`. */
  receipts: Json[];
}

export interface ChainOptions {
  chainId: string;
  genesisHeight: number;
  transactionValidityPeriod: number;
  gasPrice: bigint;
  /** Block time recorded in headers (ms); blocks are produced by the caller. */
  nominalBlockMs: number;
  /** How many past heights keep a state snapshot for `final` and `block_id` views. */
  retainedSnapshots: number;
}

type DecodedAction = Record<string, Record<string, unknown>>;

interface ParsedTransaction {
  hash: string;
  hashBytes: Uint8Array;
  signedTxBase64: string;
  signerId: string;
  receiverId: string;
  nonce: bigint;
  publicKey: PublicKey;
  publicKeyString: string;
  blockHash: string;
  signature: Uint8Array | null;
  signatureString: string;
  actions: DecodedAction[];
}

/** What a sandbox_patch_state record may hold (near-sandbox's StateRecord plus emulator tokens). */
export type StateRecord = Record<string, Record<string, unknown>>;

/** A JSON scalar from RPC params or state records as a string (objects are rejected). */
function scalar(value: unknown, fallback?: string | bigint | number): string {
  const v = value ?? fallback;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw parseError(`expected a string or number, got ${JSON.stringify(v)}`);
}

function sha256(bytes: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function cloneState(state: ChainState): ChainState {
  return structuredClone(state);
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new Error('expected bytes');
}

function permissionToJson(permission: AccessKeyPermission): Json {
  if (permission === 'FullAccess') return 'FullAccess';
  const fc = permission.FunctionCall;
  return {
    FunctionCall: {
      allowance: fc.allowance === null ? null : fc.allowance.toString(),
      receiver_id: fc.receiverId,
      method_names: fc.methodNames,
    },
  };
}

/** Parses a permission in RPC/StateRecord JSON form. */
export function permissionFromJson(value: unknown): AccessKeyPermission {
  if (value === 'FullAccess' || value === undefined) return 'FullAccess';
  const fc = (value as { FunctionCall?: Record<string, unknown> }).FunctionCall;
  if (!fc || typeof fc.receiver_id !== 'string') throw parseError('invalid access key permission');
  return {
    FunctionCall: {
      allowance:
        fc.allowance === null || fc.allowance === undefined ? null : BigInt(scalar(fc.allowance)),
      receiverId: fc.receiver_id,
      methodNames: Array.isArray(fc.method_names) ? (fc.method_names as string[]) : [],
    },
  };
}

function decodedKeyToString(value: unknown): string {
  const data = (value as { ed25519Key?: { data: unknown } }).ed25519Key?.data;
  if (!data) throw new Error('only ed25519 keys are supported by the emulator');
  return `ed25519:${baseEncode(bytesOf(data))}`;
}

function decodedPermission(value: unknown): AccessKeyPermission {
  const p = value as {
    fullAccess?: unknown;
    functionCall?: { allowance?: bigint | null; receiverId: string; methodNames: string[] };
  };
  if (p.functionCall) {
    return {
      FunctionCall: {
        allowance: p.functionCall.allowance ?? null,
        receiverId: p.functionCall.receiverId,
        methodNames: p.functionCall.methodNames,
      },
    };
  }
  return 'FullAccess';
}

const SUPPORTED_ACTIONS = new Set([
  'transfer',
  'functionCall',
  'createAccount',
  'addKey',
  'deleteKey',
]);

/** An action as nearcore's ActionView JSON. */
function actionView(action: DecodedAction): Json {
  const [kind, body] = Object.entries(action)[0];
  switch (kind) {
    case 'transfer':
      return { Transfer: { deposit: String(body.deposit) } };
    case 'functionCall':
      return {
        FunctionCall: {
          method_name: String(body.methodName),
          args: base64Encode(bytesOf(body.args)),
          gas: Number(body.gas),
          deposit: String(body.deposit),
        },
      };
    case 'createAccount':
      return 'CreateAccount';
    case 'addKey': {
      const accessKey = body.accessKey as { nonce: bigint; permission: unknown };
      return {
        AddKey: {
          public_key: decodedKeyToString(body.publicKey),
          access_key: {
            nonce: Number(accessKey.nonce),
            permission: permissionToJson(decodedPermission(accessKey.permission)),
          },
        },
      };
    }
    case 'deleteKey':
      return { DeleteKey: { public_key: decodedKeyToString(body.publicKey) } };
    default:
      return { [kind]: {} };
  }
}

function actionDeposit(action: DecodedAction): bigint {
  const body = action.transfer ?? action.functionCall;
  return body ? BigInt(body.deposit as bigint) : 0n;
}

/** Gas prepaid for executing `action` in its receipt. */
function actionPrepaidGas(action: DecodedAction): bigint {
  if (action.transfer) return TRANSFER_GAS;
  if (action.functionCall) return BigInt(action.functionCall.gas as bigint);
  return SIMPLE_ACTION_GAS;
}

function isImplicitHex(accountId: string): boolean {
  return /^[0-9a-f]{64}$/.test(accountId);
}

class ActionFailure extends Error {
  constructor(
    readonly kind: Json,
    readonly gasBurnt: bigint,
  ) {
    super('action failed');
  }
}

/** The emulated chain. All state changes go through its methods. */
export class NearChain {
  state: ChainState = { accounts: new Map(), accessKeys: new Map(), tokens: new Map() };
  private readonly snapshots = new Map<number, ChainState>();
  private readonly blocksByHash = new Map<string, Block>();
  private readonly blocksByHeight = new Map<number, Block>();
  private readonly txs = new Map<string, TransactionRecord>();
  /** Transactions accepted without validation (wait_until NONE, broadcast_tx_async); applied at the next block. */
  private readonly mempool = new Map<string, Uint8Array>();
  private headBlock: Block;
  private readonly startedAt = Date.now();

  constructor(readonly options: ChainOptions) {
    const genesis = options.genesisHeight;
    let prevHash = EMPTY_CODE_HASH;
    let block: Block | undefined;
    // Three blocks up front so that `final` (head - 2) exists from the start.
    for (let height = genesis - 2; height <= genesis; height++) {
      block = this.makeBlock(height, prevHash);
      prevHash = block.hash;
    }
    this.headBlock = block!;
    // Heights below head keep the state as of that block; patches update them too.
    this.snapshots.set(genesis - 2, cloneState(this.state));
    this.snapshots.set(genesis - 1, cloneState(this.state));
  }

  // ---------------------------------------------------------------- blocks

  get head(): Block {
    return this.headBlock;
  }

  /** The block `lag` heights below head (final = 2, near-final = 1), never below genesis - 2. */
  blockAtLag(lag: number): Block {
    const height = Math.max(this.headBlock.height - lag, this.options.genesisHeight - 2);
    return this.blocksByHeight.get(height)!;
  }

  blockByHash(hash: string): Block | undefined {
    return this.blocksByHash.get(hash);
  }

  blockByHeight(height: number): Block | undefined {
    return this.blocksByHeight.get(height);
  }

  private makeBlock(height: number, prevHash: string): Block {
    const hash = baseEncode(sha256(`${this.options.chainId}:${height}:${prevHash}`));
    const timestampNs =
      BigInt(this.startedAt + (height - this.options.genesisHeight) * this.options.nominalBlockMs) *
      1_000_000n;
    const block = { height, hash, prevHash, timestampNs };
    this.blocksByHash.set(hash, block);
    this.blocksByHeight.set(height, block);
    return block;
  }

  /** Produces one block: snapshots the state as of the old head, then applies the mempool in the new one. */
  produceBlock(): Block {
    this.snapshots.set(this.headBlock.height, cloneState(this.state));
    const oldest = this.headBlock.height - this.options.retainedSnapshots;
    for (const height of this.snapshots.keys()) if (height < oldest) this.snapshots.delete(height);
    this.headBlock = this.makeBlock(this.headBlock.height + 1, this.headBlock.hash);
    const queued = [...this.mempool.values()];
    this.mempool.clear();
    for (const bytes of queued) {
      try {
        this.submit(bytes);
      } catch {
        // Like a node, an invalid queued tx is dropped silently.
      }
    }
    return this.headBlock;
  }

  /** The state as of `block` (current state for head); older than the retained snapshots → UNKNOWN_BLOCK. */
  stateAt(block: Block): ChainState {
    if (block.height >= this.headBlock.height) return this.state;
    const snapshot = this.snapshots.get(block.height);
    if (!snapshot) throw unknownBlock({ block_id: block.height });
    return snapshot;
  }

  /** Resolves an RPC block reference (`finality` or `block_id`) to a block. */
  resolveBlockReference(params: Record<string, unknown>): Block {
    const blockId = params.block_id;
    if (blockId !== undefined && blockId !== null) {
      const block =
        typeof blockId === 'number'
          ? this.blocksByHeight.get(blockId)
          : this.blocksByHash.get(scalar(blockId));
      if (!block) throw unknownBlock({ block_id: blockId });
      return block;
    }
    switch (params.finality ?? 'optimistic') {
      case 'final':
        return this.blockAtLag(2);
      case 'near-final':
        return this.blockAtLag(1);
      case 'optimistic':
        return this.headBlock;
      default:
        throw parseError(`unknown finality ${JSON.stringify(params.finality)}`);
    }
  }

  /** Applies `fn` to the current state and every retained snapshot (god-mode patches). */
  patchEverywhere(fn: (state: ChainState) => void): void {
    fn(this.state);
    for (const snapshot of this.snapshots.values()) fn(snapshot);
  }

  // ---------------------------------------------------------------- state patches

  applyStateRecords(records: StateRecord[]): void {
    for (const record of records) {
      const [type, body] = Object.entries(record)[0] ?? [];
      if (!type || !body) throw parseError('empty state record');
      this.patchEverywhere((state) => this.applyStateRecord(state, type, body));
    }
  }

  private applyStateRecord(state: ChainState, type: string, body: Record<string, unknown>): void {
    const accountId = scalar(body.account_id ?? body.contract_id, '');
    switch (type) {
      case 'Account': {
        const account = body.account as Record<string, unknown> | undefined;
        if (!account) throw parseError('Account record needs `account`');
        const existing = state.accounts.get(accountId);
        state.accounts.set(accountId, {
          amount: BigInt(scalar(account.amount, existing?.amount ?? 0n)),
          locked: BigInt(scalar(account.locked, existing?.locked ?? 0n)),
          codeHash: scalar(account.code_hash, existing?.codeHash ?? EMPTY_CODE_HASH),
          storageUsage: Number(account.storage_usage ?? existing?.storageUsage ?? 182),
        });
        return;
      }
      case 'AccessKey': {
        const accessKey = body.access_key as Record<string, unknown> | undefined;
        const publicKey = PublicKey.fromString(scalar(body.public_key)).toString();
        const keys = state.accessKeys.get(accountId) ?? new Map<string, AccessKeyState>();
        keys.set(publicKey, {
          nonce: BigInt(scalar(accessKey?.nonce, 0)),
          permission: permissionFromJson(accessKey?.permission),
        });
        state.accessKeys.set(accountId, keys);
        return;
      }
      case 'Contract': {
        const code = Buffer.from(scalar(body.code, ''), 'base64');
        const account = state.accounts.get(accountId);
        if (!account) throw parseError(`Contract record for missing account ${accountId}`);
        account.codeHash = code.length === 0 ? EMPTY_CODE_HASH : baseEncode(sha256(code));
        return;
      }
      // Emulator extension: an emulated NEP-141/NEP-145 contract (near-sandbox would deploy wasm).
      case 'FungibleToken': {
        const existing = state.tokens.get(accountId);
        state.tokens.set(accountId, {
          name: scalar(body.name ?? existing?.name ?? body.symbol, 'Token'),
          symbol: scalar(body.symbol ?? existing?.symbol, 'FT'),
          decimals: Number(body.decimals ?? existing?.decimals ?? 6),
          storageMin: BigInt(
            scalar(body.storage_min, existing?.storageMin ?? '1250000000000000000000'),
          ),
          totalSupply: existing?.totalSupply ?? 0n,
          balances: existing?.balances ?? new Map(),
        });
        const account = state.accounts.get(accountId);
        if (account) account.codeHash = baseEncode(sha256(`fungible-token:${accountId}`));
        else {
          state.accounts.set(accountId, {
            amount: 10n ** 25n,
            locked: 0n,
            codeHash: baseEncode(sha256(`fungible-token:${accountId}`)),
            storageUsage: 300_000,
          });
        }
        return;
      }
      // Emulator extension: register `account_id` with token `contract_id` and set its balance.
      case 'FungibleTokenBalance': {
        const token = state.tokens.get(scalar(body.contract_id));
        if (!token) throw parseError(`no emulated token contract ${scalar(body.contract_id)}`);
        const holder = scalar(body.account_id);
        const balance = BigInt(scalar(body.balance, 0));
        token.totalSupply += balance - (token.balances.get(holder) ?? 0n);
        token.balances.set(holder, balance);
        return;
      }
      default:
        throw parseError(`the emulator does not support ${type} state records`);
    }
  }

  // ---------------------------------------------------------------- views

  viewAccount(state: ChainState, block: Block, accountId: string): Record<string, Json> {
    const account = state.accounts.get(accountId);
    if (!account) throw unknownAccount(accountId, block.height, block.hash);
    return {
      amount: account.amount.toString(),
      locked: account.locked.toString(),
      code_hash: account.codeHash,
      storage_usage: account.storageUsage,
      storage_paid_at: 0,
      block_height: block.height,
      block_hash: block.hash,
    };
  }

  viewAccessKey(
    state: ChainState,
    block: Block,
    accountId: string,
    publicKey: string,
  ): Record<string, Json> {
    let normalized: string;
    try {
      normalized = PublicKey.fromString(publicKey).toString();
    } catch {
      throw parseError(`invalid public key ${publicKey}`);
    }
    const key = state.accessKeys.get(accountId)?.get(normalized);
    if (!key) {
      return legacyQueryError(
        `access key ${normalized} does not exist while viewing`,
        block.height,
        block.hash,
      );
    }
    return {
      nonce: Number(key.nonce),
      permission: permissionToJson(key.permission),
      block_height: block.height,
      block_hash: block.hash,
    };
  }

  viewAccessKeyList(state: ChainState, block: Block, accountId: string): Record<string, Json> {
    const keys = [...(state.accessKeys.get(accountId)?.entries() ?? [])].map(
      ([publicKey, key]) => ({
        public_key: publicKey,
        access_key: { nonce: Number(key.nonce), permission: permissionToJson(key.permission) },
      }),
    );
    return { keys, block_height: block.height, block_hash: block.hash };
  }

  callView(
    state: ChainState,
    block: Block,
    contractId: string,
    method: string,
    args: Uint8Array,
  ): Record<string, Json> {
    const account = state.accounts.get(contractId);
    if (!account) throw unknownAccount(contractId, block.height, block.hash);
    const token = state.tokens.get(contractId);
    const fail = (inner: string) =>
      legacyQueryError(
        `wasm execution failed with error: FunctionCallError(${inner})`,
        block.height,
        block.hash,
      );
    if (!token) return fail(`CompilationError(CodeDoesNotExist { account_id: "${contractId}" })`);
    try {
      // Views never change state: run against a copy.
      const result = callFungibleToken(structuredClone(token), method, args, {
        predecessorId: contractId,
        attachedDeposit: 0n,
        view: true,
      });
      const bytes =
        result.value === undefined ? [] : [...Buffer.from(JSON.stringify(result.value), 'utf8')];
      return {
        result: bytes,
        logs: result.logs,
        block_height: block.height,
        block_hash: block.hash,
      };
    } catch (err) {
      if (err instanceof MethodNotFound) return fail('MethodResolveError(MethodNotFound)');
      if (err instanceof ProhibitedInView) return fail(`HostError(${err.message})`);
      if (err instanceof ContractPanic) {
        return fail(`HostError(GuestPanic { panic_msg: ${JSON.stringify(err.message)} })`);
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- transactions

  transaction(hash: string): TransactionRecord | undefined {
    return this.txs.get(hash);
  }

  /**
   * Forgets a transaction as a non-archival node does after garbage collection (about 5 epochs):
   * `tx` then answers UNKNOWN_TRANSACTION. State changes stay. Returns whether it was known.
   */
  forgetTransaction(hash: string): boolean {
    return this.txs.delete(hash);
  }

  allTransactions(): TransactionRecord[] {
    return [...this.txs.values()];
  }

  isQueued(hash: string): boolean {
    return this.mempool.has(hash);
  }

  /** The highest `wait_until` level a known tx has reached. */
  levelOf(record: TransactionRecord): TxExecutionLevel {
    return this.headBlock.height >= record.includedHeight + 2 ? 'FINAL' : 'EXECUTED_OPTIMISTIC';
  }

  /** Decodes signed tx bytes as nearcore's RPC does (borsh; trailing bytes rejected). */
  parse(bytes: Uint8Array): ParsedTransaction {
    let decoded: ReturnType<typeof SignedTransaction.decode>;
    try {
      decoded = SignedTransaction.decode(bytes);
      if (Buffer.compare(Buffer.from(decoded.encode()), Buffer.from(bytes)) !== 0)
        throw new Error('trailing bytes');
    } catch (err) {
      throw parseError(`Failed to decode transaction: ${(err as Error).message}`);
    }
    const tx = decoded.transaction;
    const txBytes = tx.encode();
    const hashBytes = sha256(txBytes);
    const signatureData = (decoded.signature as unknown as { ed25519Signature?: { data: unknown } })
      .ed25519Signature?.data;
    const signature = signatureData ? bytesOf(signatureData) : null;
    const actions = tx.actions as unknown as DecodedAction[];
    for (const account of [tx.signerId, tx.receiverId]) {
      if (
        !/^(?:[a-z\d]+[-_])*[a-z\d]+(?:\.(?:[a-z\d]+[-_])*[a-z\d]+)*$/.test(account) ||
        account.length < 2 ||
        account.length > 64
      ) {
        throw parseError(
          `Failed to decode transaction: invalid account id ${JSON.stringify(account)}`,
        );
      }
    }
    return {
      hash: baseEncode(hashBytes),
      hashBytes,
      signedTxBase64: Buffer.from(bytes).toString('base64'),
      signerId: tx.signerId,
      receiverId: tx.receiverId,
      nonce: BigInt(tx.nonce),
      publicKey: tx.publicKey,
      publicKeyString: tx.publicKey.toString(),
      blockHash: baseEncode(bytesOf(tx.blockHash)),
      signature,
      signatureString: signature ? `ed25519:${baseEncode(signature)}` : 'unsupported',
      actions,
    };
  }

  /** Queues bytes for the next block without validating them (wait_until NONE). Returns the hash. */
  enqueue(bytes: Uint8Array): string {
    const parsed = this.parse(bytes);
    if (!this.txs.has(parsed.hash)) this.mempool.set(parsed.hash, bytes);
    return parsed.hash;
  }

  /**
   * Validates like nearcore (notes/near.md §3.8) and applies the tx in the head block. A tx whose
   * hash is already known returns the stored record (not applied twice). Throws RpcFailure.
   */
  submit(bytes: Uint8Array): TransactionRecord {
    const tx = this.parse(bytes);
    const head = this.headBlock;

    // 1. Block hash known and recent enough. nearcore checks this before anything else, so an
    //    old tx that already landed answers Expired on a resend (notes §2.3).
    const referenced = this.blocksByHash.get(tx.blockHash);
    if (!referenced || head.height > referenced.height + this.options.transactionValidityPeriod) {
      throw invalidTransaction('Expired');
    }
    const known = this.txs.get(tx.hash);
    if (known) return known;

    // 2. Signature over sha256(borsh(tx)) by tx.public_key.
    let signatureOk = false;
    try {
      signatureOk =
        tx.signature !== null &&
        tx.publicKey.keyType === KeyType.ED25519 &&
        tx.publicKey.verify(tx.hashBytes, tx.signature);
    } catch {
      signatureOk = false;
    }
    if (!signatureOk) throw invalidTransaction('InvalidSignature');

    // 3. Signer exists; 4. its access key exists.
    const signer = this.state.accounts.get(tx.signerId);
    if (!signer) throw invalidTransaction({ SignerDoesNotExist: { signer_id: tx.signerId } });
    const accessKey = this.state.accessKeys.get(tx.signerId)?.get(tx.publicKeyString);
    if (!accessKey) {
      throw invalidTransaction({
        InvalidAccessKeyError: {
          AccessKeyNotFound: { account_id: tx.signerId, public_key: tx.publicKeyString },
        },
      });
    }

    // 5. Nonce above the key's; 6. below height × 10^6.
    if (tx.nonce <= accessKey.nonce) {
      throw invalidTransaction({
        InvalidNonce: { tx_nonce: Number(tx.nonce), ak_nonce: Number(accessKey.nonce) },
      });
    }
    const upperBound = BigInt(head.height) * NONCE_RANGE_MULTIPLIER;
    if (tx.nonce >= upperBound) {
      throw invalidTransaction({
        NonceTooLarge: { tx_nonce: Number(tx.nonce), upper_bound: Number(upperBound) },
      });
    }

    // Actions must be ones the emulator runs, and function calls must carry gas.
    for (const action of tx.actions) {
      const kind = Object.keys(action)[0];
      if (!SUPPORTED_ACTIONS.has(kind))
        throw internalError(`the NEAR emulator does not support ${kind} actions`);
      if (action.functionCall && BigInt(action.functionCall.gas as bigint) === 0n) {
        throw invalidTransaction({ ActionsValidation: 'FunctionCallZeroAttachedGas' });
      }
    }

    // 7. Balance covers deposits + all prepaid gas.
    const gasPrice = this.options.gasPrice;
    const prepaidGas = tx.actions.reduce((sum, a) => sum + actionPrepaidGas(a), 0n);
    const deposits = tx.actions.reduce((sum, a) => sum + actionDeposit(a), 0n);
    const gasCost = (TX_CONVERSION_GAS + prepaidGas) * gasPrice;
    const cost = gasCost + deposits;
    if (signer.amount < cost) {
      throw invalidTransaction({
        NotEnoughBalance: {
          signer_id: tx.signerId,
          balance: signer.amount.toString(),
          cost: cost.toString(),
        },
      });
    }

    // 8. Function-call access keys: allowance, then receiver / method / no deposit / single action.
    if (accessKey.permission !== 'FullAccess') {
      const permission = accessKey.permission.FunctionCall;
      const keyError = (e: Json) => invalidTransaction({ InvalidAccessKeyError: e });
      if (permission.allowance !== null && permission.allowance < gasCost) {
        throw keyError({
          NotEnoughAllowance: {
            account_id: tx.signerId,
            public_key: tx.publicKeyString,
            allowance: permission.allowance.toString(),
            cost: gasCost.toString(),
          },
        });
      }
      const only = tx.actions.length === 1 ? tx.actions[0].functionCall : undefined;
      if (!only) throw keyError('RequiresFullAccess');
      if (BigInt(only.deposit as bigint) > 0n) throw keyError('DepositWithFunctionCall');
      if (tx.receiverId !== permission.receiverId) {
        throw keyError({
          ReceiverMismatch: { tx_receiver: tx.receiverId, ak_receiver: permission.receiverId },
        });
      }
      const method = String(only.methodName);
      if (permission.methodNames.length > 0 && !permission.methodNames.includes(method)) {
        throw keyError({ MethodNameMismatch: { method_name: method } });
      }
      if (permission.allowance !== null) permission.allowance -= gasCost;
    }

    // Accepted: the nonce is consumed and the prepaid cost charged whatever the receipt does.
    accessKey.nonce = tx.nonce;
    signer.amount -= cost;
    const record = this.execute(tx, prepaidGas, deposits);
    this.txs.set(tx.hash, record);
    this.mempool.delete(tx.hash);
    return record;
  }

  private receiptId(txHash: string, index: number): string {
    return baseEncode(sha256(`${txHash}:receipt:${index}`));
  }

  /** Runs the tx's single action receipt atomically and builds the outcome views. */
  private execute(tx: ParsedTransaction, prepaidGas: bigint, deposits: bigint): TransactionRecord {
    const head = this.headBlock;
    const gasPrice = this.options.gasPrice;
    const before = cloneState(this.state);
    const logs: string[] = [];
    const refunds: { from: string; to: string; amount: bigint }[] = [];
    let burnt = 0n;
    let returnValue = '';
    let failure: Json | null = null;

    try {
      let receiver = this.state.accounts.get(tx.receiverId);
      tx.actions.forEach((action, index) => {
        const fail = (kind: Json, gas = 0n): never => {
          throw new ActionFailure({ ActionError: { index, kind } }, burnt + gas);
        };
        if (!receiver) {
          if (action.createAccount) {
            if (!tx.receiverId.endsWith(`.${tx.signerId}`) && !isImplicitHex(tx.receiverId)) {
              fail({
                CreateAccountNotAllowed: { account_id: tx.receiverId, predecessor_id: tx.signerId },
              });
            }
            receiver = { amount: 0n, locked: 0n, codeHash: EMPTY_CODE_HASH, storageUsage: 182 };
            this.state.accounts.set(tx.receiverId, receiver);
            burnt += SIMPLE_ACTION_GAS;
            return;
          }
          if (action.transfer && index === 0 && isImplicitHex(tx.receiverId)) {
            // A transfer to a 64-hex implicit account creates it with that key.
            receiver = { amount: 0n, locked: 0n, codeHash: EMPTY_CODE_HASH, storageUsage: 182 };
            this.state.accounts.set(tx.receiverId, receiver);
            const publicKey = `ed25519:${baseEncode(Buffer.from(tx.receiverId, 'hex'))}`;
            this.state.accessKeys.set(
              tx.receiverId,
              new Map([
                [
                  publicKey,
                  {
                    nonce: BigInt(head.height - 1) * NONCE_RANGE_MULTIPLIER,
                    permission: 'FullAccess',
                  },
                ],
              ]),
            );
          } else {
            fail({ AccountDoesNotExist: { account_id: tx.receiverId } });
          }
        }
        const account = receiver!;
        if (action.createAccount) fail({ AccountAlreadyExists: { account_id: tx.receiverId } });
        if (action.transfer) {
          account.amount += BigInt(action.transfer.deposit as bigint);
          burnt += TRANSFER_GAS;
          return;
        }
        if (action.addKey || action.deleteKey) {
          if (tx.receiverId !== tx.signerId) {
            fail({ ActorNoPermission: { account_id: tx.receiverId, actor_id: tx.signerId } });
          }
          const body = action.addKey ?? action.deleteKey;
          const publicKey = decodedKeyToString(body.publicKey);
          const keys =
            this.state.accessKeys.get(tx.receiverId) ?? new Map<string, AccessKeyState>();
          this.state.accessKeys.set(tx.receiverId, keys);
          if (action.addKey) {
            if (keys.has(publicKey))
              fail({ AddKeyAlreadyExists: { account_id: tx.receiverId, public_key: publicKey } });
            const accessKey = body.accessKey as { permission: unknown };
            keys.set(publicKey, {
              nonce: BigInt(head.height - 1) * NONCE_RANGE_MULTIPLIER,
              permission: decodedPermission(accessKey.permission),
            });
          } else {
            if (!keys.delete(publicKey)) {
              fail({ DeleteKeyDoesNotExist: { account_id: tx.receiverId, public_key: publicKey } });
            }
          }
          burnt += SIMPLE_ACTION_GAS;
          return;
        }
        // FunctionCall: the deposit goes to the contract, then the method runs.
        const call = action.functionCall;
        const attachedGas = BigInt(call.gas as bigint);
        const deposit = BigInt(call.deposit as bigint);
        account.amount += deposit;
        const token = this.state.tokens.get(tx.receiverId);
        if (!token) {
          fail({
            FunctionCallError: {
              CompilationError: { CodeDoesNotExist: { account_id: tx.receiverId } },
            },
          });
        }
        if (attachedGas < FUNCTION_CALL_GAS) {
          fail({ FunctionCallError: { ExecutionError: 'Exceeded the prepaid gas.' } }, attachedGas);
        }
        try {
          const result = callFungibleToken(token!, String(call.methodName), bytesOf(call.args), {
            predecessorId: tx.signerId,
            attachedDeposit: deposit,
            view: false,
          });
          burnt += FUNCTION_CALL_GAS;
          logs.push(...result.logs);
          for (const refund of result.refunds) {
            account.amount -= refund.amount;
            refunds.push({ from: tx.receiverId, to: refund.to, amount: refund.amount });
          }
          returnValue =
            result.value === undefined
              ? ''
              : base64Encode(Buffer.from(JSON.stringify(result.value)));
        } catch (err) {
          if (err instanceof ContractPanic) {
            fail(
              { FunctionCallError: { ExecutionError: `Smart contract panicked: ${err.message}` } },
              FUNCTION_CALL_GAS,
            );
          }
          if (err instanceof MethodNotFound)
            fail(
              { FunctionCallError: { MethodResolveError: 'MethodNotFound' } },
              FUNCTION_CALL_GAS,
            );
          throw err;
        }
      });
    } catch (err) {
      if (!(err instanceof ActionFailure)) throw err;
      // Atomic: every state change of the receipt is undone; deposits go back to the signer.
      failure = err.kind;
      burnt = err.gasBurnt;
      // `before` was taken after the charge and the nonce bump, so those survive the rollback.
      this.state = before;
      logs.length = 0;
      refunds.length = 0;
      if (deposits > 0n) refunds.push({ from: 'system', to: tx.signerId, amount: deposits });
    }

    const gasRefund = (prepaidGas - burnt) * gasPrice;
    if (gasRefund > 0n) refunds.push({ from: 'system', to: tx.signerId, amount: gasRefund });
    for (const refund of refunds) {
      const to = this.state.accounts.get(refund.to);
      if (to) to.amount += refund.amount;
    }

    const mainReceipt = this.receiptId(tx.hash, 0);
    const refundIds = refunds.map((_, i) => this.receiptId(tx.hash, i + 1));
    const blockHash = head.hash;
    const outcome = (
      id: string,
      executor: string,
      gas: bigint,
      receiptLogs: string[],
      receiptIds: string[],
      status: Json,
      metadata: Json,
    ): Json => ({
      id,
      block_hash: blockHash,
      proof: [],
      outcome: {
        logs: receiptLogs,
        receipt_ids: receiptIds,
        gas_burnt: Number(gas),
        tokens_burnt: (gas * gasPrice).toString(),
        executor_id: executor,
        status,
        metadata,
      },
    });
    const receiptMetadata = { version: 3, gas_profile: [] };
    const receiptsOutcome: Json[] = [
      outcome(
        mainReceipt,
        tx.receiverId,
        burnt,
        logs,
        refundIds,
        failure ? { Failure: failure } : { SuccessValue: returnValue },
        receiptMetadata,
      ),
      ...refunds.map((r, i) =>
        outcome(refundIds[i], r.to, 0n, [], [], { SuccessValue: '' }, receiptMetadata),
      ),
    ];
    const actionViews = tx.actions.map(actionView);
    const receipts: Json[] = [
      {
        predecessor_id: tx.signerId,
        receipt_id: mainReceipt,
        receiver_id: tx.receiverId,
        priority: 0,
        receipt: {
          Action: {
            actions: actionViews,
            gas_price: gasPrice.toString(),
            input_data_ids: [],
            output_data_receivers: [],
            signer_id: tx.signerId,
            signer_public_key: tx.publicKeyString,
            is_promise_yield: false,
          },
        },
      },
      ...refunds.map((r, i) => ({
        predecessor_id: r.from,
        receipt_id: refundIds[i],
        receiver_id: r.to,
        priority: 0,
        receipt: {
          Action: {
            actions: [{ Transfer: { deposit: r.amount.toString() } }],
            gas_price: '0',
            input_data_ids: [],
            output_data_receivers: [],
            signer_id: r.from === 'system' ? 'system' : tx.signerId,
            signer_public_key:
              r.from === 'system' ? `ed25519:${EMPTY_CODE_HASH}` : tx.publicKeyString,
            is_promise_yield: false,
          },
        },
      })),
    ];

    return {
      hash: tx.hash,
      signerId: tx.signerId,
      receiverId: tx.receiverId,
      nonce: tx.nonce,
      signedTxBase64: tx.signedTxBase64,
      includedHeight: head.height,
      includedBlockHash: blockHash,
      success: failure === null,
      receipts,
      outcome: {
        status: failure ? { Failure: failure } : { SuccessValue: returnValue },
        transaction: {
          signer_id: tx.signerId,
          public_key: tx.publicKeyString,
          nonce: Number(tx.nonce),
          priority_fee: 0,
          receiver_id: tx.receiverId,
          actions: actionViews,
          signature: tx.signatureString,
          hash: tx.hash,
        },
        transaction_outcome: outcome(
          tx.hash,
          tx.signerId,
          TX_CONVERSION_GAS,
          [],
          [mainReceipt],
          { SuccessReceiptId: mainReceipt },
          { version: 1, gas_profile: null },
        ),
        receipts_outcome: receiptsOutcome,
      },
    };
  }

  // ---------------------------------------------------------------- JSON views of chain objects

  blockView(block: Block): Record<string, Json> {
    const final = this.blocksByHeight.get(
      Math.max(block.height - 2, this.options.genesisHeight - 2),
    )!;
    const dsFinal = this.blocksByHeight.get(
      Math.max(block.height - 1, this.options.genesisHeight - 2),
    )!;
    const totalSupply = [...this.state.accounts.values()].reduce(
      (sum, a) => sum + a.amount + a.locked,
      0n,
    );
    return {
      author: 'emulator.near',
      chunks: [],
      header: {
        height: block.height,
        prev_height: block.height - 1,
        hash: block.hash,
        prev_hash: block.prevHash,
        epoch_id: EMPTY_CODE_HASH,
        next_epoch_id: EMPTY_CODE_HASH,
        timestamp: Number(block.timestampNs),
        timestamp_nanosec: block.timestampNs.toString(),
        gas_price: this.options.gasPrice.toString(),
        latest_protocol_version: 73,
        last_final_block: final.hash,
        last_ds_final_block: dsFinal.hash,
        chunk_mask: [true],
        total_supply: totalSupply.toString(),
        validator_proposals: [],
        approvals: [],
        signature: `ed25519:${baseEncode(new Uint8Array(64))}`,
      },
    };
  }

  statusView(): Record<string, Json> {
    const head = this.headBlock;
    const earliest = this.blocksByHeight.get(this.options.genesisHeight - 2)!;
    const iso = (block: Block) => new Date(Number(block.timestampNs / 1_000_000n)).toISOString();
    return {
      chain_id: this.options.chainId,
      genesis_hash: earliest.hash,
      protocol_version: 73,
      latest_protocol_version: 73,
      rpc_addr: '127.0.0.1:3030',
      sync_info: {
        latest_block_hash: head.hash,
        latest_block_height: head.height,
        latest_block_time: iso(head),
        latest_state_root: EMPTY_CODE_HASH,
        earliest_block_hash: earliest.hash,
        earliest_block_height: earliest.height,
        earliest_block_time: iso(earliest),
        epoch_id: EMPTY_CODE_HASH,
        epoch_start_height: earliest.height,
        syncing: false,
      },
      validators: [],
      version: { version: '2.x.y-emulator', build: 'near-emulator', rustc_version: 'n/a' },
      uptime_sec: Math.floor((Date.now() - this.startedAt) / 1000),
      node_public_key: `ed25519:${baseEncode(new Uint8Array(32))}`,
      validator_account_id: null,
    };
  }

  protocolConfigView(): Record<string, Json> {
    return {
      protocol_version: 73,
      transaction_validity_period: this.options.transactionValidityPeriod,
      epoch_length: 43200,
      runtime_config: { storage_amount_per_byte: '10000000000000000000' },
    };
  }

  /** The outcome view at the level the tx has reached. */
  outcomeView(record: TransactionRecord, withReceipts: boolean): Record<string, Json> {
    const view: Record<string, Json> = {
      final_execution_status: this.levelOf(record),
      ...record.outcome,
    };
    if (withReceipts) view.receipts = record.receipts;
    return view;
  }
}
