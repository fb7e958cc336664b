// Fault injection: rules consumed by the next matching requests, in the order they were added.

/** Methods that submit transactions; the default target of every fault. */
export const SEND_METHODS: readonly string[] = [
  'send_tx',
  'broadcast_tx_commit',
  'broadcast_tx_async',
];

export type FaultKind =
  /** Process the request (apply the tx), then answer 408 TIMEOUT_ERROR instead of the result. */
  | 'timeout-after-apply'
  /** Answer 408 without processing anything. */
  | 'timeout-without-apply'
  /** Queue the tx for the next block (unvalidated), answer 408: `tx` flips from unknown to known later. */
  | 'timeout-apply-next-block'
  /** Destroy the socket without answering, before processing. */
  | 'drop-connection'
  /** Process the request (apply the tx), then destroy the socket without answering. */
  | 'drop-connection-after-apply'
  /** Wait `delayMs`, then process normally. */
  | 'delay'
  /** Answer HTTP `status` (500 / 502 / 503) without processing. */
  | 'http-error';

export interface FaultRule {
  kind: FaultKind;
  /** How many matching requests the rule affects. */
  times: number;
  /** JSON-RPC methods it matches; `'*'` for all. Default: the send methods. */
  methods: readonly string[] | '*';
  delayMs?: number;
  status?: number;
}

export interface FaultOptions {
  times?: number;
  methods?: readonly string[] | '*';
}

/** Queue of faults the emulator applies to the next matching requests. */
export class FaultController {
  private rules: FaultRule[] = [];

  /** Adds a rule; returns the controller for chaining. */
  inject(rule: { kind: FaultKind; delayMs?: number; status?: number } & FaultOptions): this {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError('times must be a positive integer');
    this.rules.push({
      kind: rule.kind,
      times,
      methods: rule.methods ?? SEND_METHODS,
      delayMs: rule.delayMs,
      status: rule.status,
    });
    return this;
  }

  /** Apply the tx, then answer 408 TIMEOUT_ERROR (the response is "lost"; the tx landed). */
  timeoutAfterApply(options: FaultOptions = {}): this {
    return this.inject({ kind: 'timeout-after-apply', ...options });
  }

  /** Answer 408 without applying. */
  timeoutWithoutApply(options: FaultOptions = {}): this {
    return this.inject({ kind: 'timeout-without-apply', ...options });
  }

  /** Answer 408 and include the tx in the next block (unknown to `tx` until then). */
  timeoutThenApplyAtNextBlock(options: FaultOptions = {}): this {
    return this.inject({ kind: 'timeout-apply-next-block', ...options });
  }

  /** Destroy the connection; with `afterApply` the tx is applied first. */
  dropConnection(options: FaultOptions & { afterApply?: boolean } = {}): this {
    return this.inject({
      kind: options.afterApply ? 'drop-connection-after-apply' : 'drop-connection',
      ...options,
    });
  }

  /** Delay matching requests by `ms`, then answer normally. */
  delay(ms: number, options: FaultOptions = {}): this {
    return this.inject({ kind: 'delay', delayMs: ms, ...options });
  }

  /** Answer HTTP 500 (INTERNAL_ERROR body), 502 or 503 without processing. */
  httpError(status: 500 | 502 | 503, options: FaultOptions = {}): this {
    return this.inject({ kind: 'http-error', status, ...options });
  }

  clear(): void {
    this.rules = [];
  }

  /** Rules not yet used up. */
  pending(): readonly FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Takes one use of the first rule matching `method`, if any. */
  take(method: string): FaultRule | undefined {
    const rule = this.rules.find((r) => r.methods === '*' || r.methods.includes(method));
    if (!rule) return undefined;
    rule.times -= 1;
    if (rule.times === 0) this.rules = this.rules.filter((r) => r !== rule);
    return { ...rule };
  }
}
