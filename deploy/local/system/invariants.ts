/**
 * The money invariants of a run, as pure rules over what was observed (the collectors in
 * `observe.ts` gather it from the chain, the API, Kafka and the event stores):
 *
 * 1. every accepted milestone's tranche is paid exactly once on chain (receiver balance delta);
 *    nothing is paid that was not accepted;
 * 2. nothing is paid without its approvals (distinct treasurers, two at or above the threshold,
 *    never the milestone's acceptor nor the founder);
 * 3. no rolling 24-hour spending limit is exceeded;
 * 4. no published event is left unconsumed (every consumer group's lag is 0);
 * 5. every audit hash chain verifies.
 */

/** A tranche of a grant and whether its milestone was accepted. */
export interface TrancheObservation {
  grantId: string;
  tranche: number;
  asset: string;
  amount: bigint;
  receiver: string;
  accepted: boolean;
}

/** A disbursement as the treasury reports it. */
export interface DisbursementObservation {
  id: string;
  grantId: string;
  tranche: number;
  asset: string;
  amount: bigint;
  receiver: string;
  status: string;
  /** Who approved (the treasurers' subjects), in order. */
  approvedBy: string[];
  /** Who accepted the milestone; never an approver. */
  acceptedBy?: string;
  /** The founder of the grant; never an approver. */
  founder?: string;
  /** When the money left (release or settlement time); used for the rolling limit. */
  paidAt?: Date;
  /** Transaction hashes of settled payouts. */
  settledTxHashes: string[];
}

/** Growth of one receiver's balance of one asset over the run (base units). */
export interface ChainObservation {
  receiver: string;
  asset: string;
  delta: bigint;
}

export interface TreasuryPolicy {
  /** Per asset: amounts at or above need two different treasurers. */
  dualApprovalThreshold: Record<string, bigint>;
  /** Per asset: rolling 24-hour limit. */
  dailyLimit: Record<string, bigint>;
  windowHours?: number;
}

export interface LagObservation {
  group: string;
  topic: string;
  partition: number;
  lag: bigint;
}

export interface AuditObservation {
  schema: string;
  streamsChecked: number;
  broken: { streamId: string; streamVersion: number; reason: string }[];
}

export interface RunObservation {
  tranches: TrancheObservation[];
  disbursements: DisbursementObservation[];
  chain: ChainObservation[];
  policy: TreasuryPolicy;
  lag: LagObservation[];
  audit: AuditObservation[];
}

export type ViolationKind =
  | 'double_payout'
  | 'lost_payout'
  | 'unaccepted_payout'
  | 'missing_approval'
  | 'forbidden_approver'
  | 'limit_exceeded'
  | 'unconsumed_events'
  | 'broken_audit_chain'
  /** The harness could not finish the trial or gather what it needs to judge it. */
  | 'trial_aborted';

export interface Violation {
  kind: ViolationKind;
  detail: string;
}

const key = (receiver: string, asset: string) => `${receiver}\u0000${asset}`;

/** Every violation of the run (empty: all invariants hold). */
export function checkInvariants(run: RunObservation): Violation[] {
  return [
    ...checkExactlyOnce(run),
    ...checkSingleSettlement(run),
    ...checkApprovals(run),
    ...checkLimits(run),
    ...checkLag(run),
    ...checkAudit(run),
  ];
}

/** Per receiver and asset: the chain grew by exactly the sum of the accepted tranches. */
export function checkExactlyOnce(run: Pick<RunObservation, 'tranches' | 'chain'>): Violation[] {
  const expected = new Map<
    string,
    { amount: bigint; acceptedAmounts: bigint[]; unacceptedAmounts: bigint[]; tranches: string[] }
  >();
  for (const t of run.tranches) {
    const k = key(t.receiver, t.asset);
    const entry = expected.get(k) ?? {
      amount: 0n,
      acceptedAmounts: [],
      unacceptedAmounts: [],
      tranches: [],
    };
    if (t.accepted) {
      entry.amount += t.amount;
      entry.acceptedAmounts.push(t.amount);
    } else entry.unacceptedAmounts.push(t.amount);
    entry.tranches.push(`${t.grantId}#${t.tranche}`);
    expected.set(k, entry);
  }
  const observed = new Map<string, bigint>();
  for (const c of run.chain) {
    observed.set(
      key(c.receiver, c.asset),
      (observed.get(key(c.receiver, c.asset)) ?? 0n) + c.delta,
    );
  }
  const violations: Violation[] = [];
  for (const [k, entry] of expected) {
    const [receiver, asset] = k.split('\u0000');
    const got = observed.get(k) ?? 0n;
    const where = `${receiver} (${asset}; tranches ${entry.tranches.join(', ')})`;
    if (got === entry.amount) continue;
    if (got < entry.amount) {
      violations.push({
        kind: 'lost_payout',
        detail: `${where}: received ${got}, accepted ${entry.amount}`,
      });
    } else if (
      isSubsetSum(got - entry.amount, entry.unacceptedAmounts) &&
      !isSubsetSum(got - entry.amount, entry.acceptedAmounts)
    ) {
      violations.push({
        kind: 'unaccepted_payout',
        detail: `${where}: received ${got}, accepted only ${entry.amount}`,
      });
    } else {
      violations.push({
        kind: 'double_payout',
        detail: `${where}: received ${got}, accepted ${entry.amount}`,
      });
    }
  }
  for (const [k, got] of observed) {
    if (expected.has(k) || got === 0n) continue;
    const [receiver, asset] = k.split('\u0000');
    violations.push({
      kind: 'unaccepted_payout',
      detail: `${receiver} (${asset}) received ${got} with no tranche of its own`,
    });
  }
  return violations;
}

/** A disbursement settles with one transaction; two different settled hashes are two payouts. */
export function checkSingleSettlement(run: Pick<RunObservation, 'disbursements'>): Violation[] {
  return run.disbursements
    .filter((d) => new Set(d.settledTxHashes).size > 1)
    .map((d) => ({
      kind: 'double_payout' as const,
      detail: `${d.id} settled by ${new Set(d.settledTxHashes).size} transactions: ${[...new Set(d.settledTxHashes)].join(', ')}`,
    }));
}

/** Whether `target` is the sum of some of `amounts` (each used once); tranches per receiver are few. */
function isSubsetSum(target: bigint, amounts: bigint[]): boolean {
  if (amounts.length > 16) return false;
  for (let mask = 1; mask < 1 << amounts.length; mask++) {
    let sum = 0n;
    for (let i = 0; i < amounts.length; i++) if (mask & (1 << i)) sum += amounts[i];
    if (sum === target) return true;
  }
  return false;
}

const PAID = new Set(['released', 'settled']);
const isPaid = (d: DisbursementObservation) => PAID.has(d.status) || d.settledTxHashes.length > 0;

/** Each released or settled disbursement has its distinct, allowed approvers. */
export function checkApprovals(run: Pick<RunObservation, 'disbursements' | 'policy'>): Violation[] {
  const violations: Violation[] = [];
  for (const d of run.disbursements.filter(isPaid)) {
    const threshold = run.policy.dualApprovalThreshold[d.asset];
    const required = threshold !== undefined && d.amount >= threshold ? 2 : 1;
    const distinct = new Set(d.approvedBy);
    if (distinct.size < required) {
      violations.push({
        kind: 'missing_approval',
        detail: `${d.id} (${d.amount} ${d.asset}) ${d.status} with ${distinct.size} distinct approver(s), needs ${required}`,
      });
    }
    for (const forbidden of [d.acceptedBy, d.founder]) {
      if (forbidden && distinct.has(forbidden)) {
        violations.push({
          kind: 'forbidden_approver',
          detail: `${d.id} approved by ${forbidden}, who ${forbidden === d.acceptedBy ? 'accepted the milestone' : 'is the founder'}`,
        });
      }
    }
  }
  return violations;
}

/** In no rolling window did the paid amounts of one asset exceed its limit. */
export function checkLimits(run: Pick<RunObservation, 'disbursements' | 'policy'>): Violation[] {
  const windowMs = (run.policy.windowHours ?? 24) * 3_600_000;
  const violations: Violation[] = [];
  const byAsset = new Map<string, DisbursementObservation[]>();
  for (const d of run.disbursements.filter(isPaid)) {
    byAsset.set(d.asset, [...(byAsset.get(d.asset) ?? []), d]);
  }
  for (const [asset, paid] of byAsset) {
    const limit = run.policy.dailyLimit[asset];
    if (limit === undefined) continue;
    // Without a time every payment counts in the same window (the strictest reading).
    const sorted = [...paid].sort(
      (a, b) => (a.paidAt?.getTime() ?? 0) - (b.paidAt?.getTime() ?? 0),
    );
    let start = 0;
    let sum = 0n;
    for (let end = 0; end < sorted.length; end++) {
      sum += sorted[end].amount;
      const endAt = sorted[end].paidAt?.getTime() ?? 0;
      while ((sorted[start].paidAt?.getTime() ?? 0) <= endAt - windowMs) {
        sum -= sorted[start].amount;
        start++;
      }
      if (sum > limit) {
        violations.push({
          kind: 'limit_exceeded',
          detail: `${asset}: ${sum} paid within ${windowMs / 3_600_000} h up to ${sorted[end].id}, limit ${limit}`,
        });
        break;
      }
    }
  }
  return violations;
}

export function checkLag(run: Pick<RunObservation, 'lag'>): Violation[] {
  return run.lag
    .filter((l) => l.lag > 0n)
    .map((l) => ({
      kind: 'unconsumed_events' as const,
      detail: `group ${l.group} is ${l.lag} behind on ${l.topic}[${l.partition}]`,
    }));
}

export function checkAudit(run: Pick<RunObservation, 'audit'>): Violation[] {
  return run.audit.flatMap((a) =>
    a.broken.map((b) => ({
      kind: 'broken_audit_chain' as const,
      detail: `${a.schema}: ${b.streamId}@${b.streamVersion}: ${b.reason}`,
    })),
  );
}
