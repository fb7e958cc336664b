import {
  checkInvariants,
  type DisbursementObservation,
  type RunObservation,
  type TrancheObservation,
} from './invariants';

const USDC = 'USDC';
const tranche = (over: Partial<TrancheObservation> = {}): TrancheObservation => ({
  grantId: 'g1',
  tranche: 1,
  asset: USDC,
  amount: 15_000_000_000n,
  receiver: 'ada.near',
  accepted: true,
  ...over,
});
const disbursement = (over: Partial<DisbursementObservation> = {}): DisbursementObservation => ({
  id: 'g1-1',
  grantId: 'g1',
  tranche: 1,
  asset: USDC,
  amount: 15_000_000_000n,
  receiver: 'ada.near',
  status: 'settled',
  approvedBy: ['treasurer-a', 'treasurer-b'],
  acceptedBy: 'rev-1',
  founder: 'ada.near',
  paidAt: new Date('2026-12-01T10:00:00Z'),
  settledTxHashes: ['tx1'],
  ...over,
});
const healthy = (): RunObservation => ({
  tranches: [tranche(), tranche({ tranche: 2, amount: 30_000_000_000n, accepted: false })],
  disbursements: [disbursement()],
  chain: [{ receiver: 'ada.near', asset: USDC, delta: 15_000_000_000n }],
  policy: {
    dualApprovalThreshold: { USDC: 10_000_000_000n },
    dailyLimit: { USDC: 100_000_000_000n },
  },
  lag: [{ group: 'grants-events', topic: 'milestones.milestone.v1', partition: 0, lag: 0n }],
  audit: [{ schema: 'grants', streamsChecked: 3, broken: [] }],
});
const kinds = (run: RunObservation) => checkInvariants(run).map((v) => v.kind);

describe('invariant checker', () => {
  it('finds nothing wrong in a run where the accepted tranche was paid once, approved twice', () => {
    expect(checkInvariants(healthy())).toEqual([]);
  });

  it('a tranche paid twice is a double payout', () => {
    const run = healthy();
    run.chain[0].delta = 30_000_000_000n;
    expect(kinds(run)).toEqual(['double_payout']);
  });

  it('two different settled transactions for one disbursement are a double payout', () => {
    const run = healthy();
    run.disbursements[0].settledTxHashes = ['tx1', 'tx2'];
    expect(kinds(run)).toEqual(['double_payout']);
  });

  it('an accepted tranche that never reached the chain is a lost payout', () => {
    const run = healthy();
    run.chain[0].delta = 0n;
    expect(kinds(run)).toEqual(['lost_payout']);
  });

  it('money for a tranche whose milestone was not accepted is an unaccepted payout', () => {
    const run = healthy();
    run.chain[0].delta = 45_000_000_000n;
    expect(kinds(run)).toEqual(['unaccepted_payout']);
    const stranger = healthy();
    stranger.chain.push({ receiver: 'eve.near', asset: USDC, delta: 1n });
    expect(kinds(stranger)).toEqual(['unaccepted_payout']);
  });

  it('above the threshold one approver is not enough; the same treasurer twice counts once', () => {
    const run = healthy();
    run.disbursements[0].approvedBy = ['treasurer-a', 'treasurer-a'];
    expect(kinds(run)).toEqual(['missing_approval']);
    const small = healthy();
    small.disbursements[0] = disbursement({ amount: 5_000_000_000n, approvedBy: ['treasurer-a'] });
    small.tranches[0].amount = 5_000_000_000n;
    small.chain[0].delta = 5_000_000_000n;
    expect(kinds(small)).toEqual([]);
  });

  it("the milestone's acceptor or the founder may never approve", () => {
    const run = healthy();
    run.disbursements[0].approvedBy = ['rev-1', 'ada.near'];
    expect(kinds(run)).toEqual(['forbidden_approver', 'forbidden_approver']);
  });

  it('approvals of a disbursement not yet paid are not judged', () => {
    const run = healthy();
    run.disbursements[0] = disbursement({
      status: 'awaiting_approval',
      approvedBy: [],
      settledTxHashes: [],
    });
    run.chain[0].delta = 0n;
    run.tranches[0].accepted = true;
    expect(kinds(run)).toEqual(['lost_payout']);
  });

  it('payments over the rolling limit within 24 h are caught; a day apart they are not', () => {
    const run = healthy();
    run.policy.dailyLimit.USDC = 20_000_000_000n;
    run.disbursements.push(
      disbursement({ id: 'g2-1', grantId: 'g2', paidAt: new Date('2026-12-01T20:00:00Z') }),
    );
    expect(kinds(run)).toContain('limit_exceeded');
    run.disbursements[1].paidAt = new Date('2026-12-02T10:00:00Z');
    expect(kinds(run)).not.toContain('limit_exceeded');
  });

  it('a consumer group behind on any partition means an unconsumed event', () => {
    const run = healthy();
    run.lag.push({
      group: 'disbursements-events',
      topic: 'grants.grant.v1',
      partition: 2,
      lag: 3n,
    });
    expect(checkInvariants(run)).toEqual([
      {
        kind: 'unconsumed_events',
        detail: 'group disbursements-events is 3 behind on grants.grant.v1[2]',
      },
    ]);
  });

  it('a broken hash chain is reported with its stream and version', () => {
    const run = healthy();
    run.audit[0].broken.push({ streamId: 'grant-1', streamVersion: 4, reason: 'hash mismatch' });
    expect(checkInvariants(run)).toEqual([
      { kind: 'broken_audit_chain', detail: 'grants: grant-1@4: hash mismatch' },
    ]);
  });
});
