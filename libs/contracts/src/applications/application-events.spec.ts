import { applicationEventSchemas } from '.';

const approved = () => ({
  applicationId: '6f1c1f9e-3f43-4b53-9b7f-2f4b0f6f1a10',
  founder: 'ada.near',
  payoutAccount: 'ada.near',
  title: 'Verifiable inference on NEAR',
  grant: {
    asset: 'USDC',
    amount: '45000000000',
    tranches: [
      { milestone: 1, title: 'Prototype', amount: '15000000000', dueDate: '2027-03-01' },
      { milestone: 2, title: 'Mainnet launch', amount: '30000000000', dueDate: '2027-06-01' },
    ],
  },
  decidedBy: 'admin-1',
  approvedAt: '2026-12-01T10:00:00.000Z',
});

describe('applications.application.v1 contracts', () => {
  const { ApplicationApproved, ApplicationSubmitted, ApplicationRejected, ApplicationWithdrawn } =
    applicationEventSchemas;

  it('are all schema version 1', () => {
    expect(Object.values(applicationEventSchemas).map((s) => s.schemaVersion)).toEqual([
      1, 1, 1, 1,
    ]);
  });

  it('parses an approval and strips unknown keys (tolerant reader)', () => {
    const parsed = ApplicationApproved.data.parse({ ...approved(), extra: true });
    expect(parsed).toEqual(approved());
  });

  it('rejects tranches that do not sum to the grant amount, or repeat a milestone', () => {
    const event = approved();
    event.grant.tranches[1].amount = '29999999999';
    expect(ApplicationApproved.data.safeParse(event).success).toBe(false);
    const repeated = approved();
    repeated.grant.tranches[1].milestone = 1;
    expect(ApplicationApproved.data.safeParse(repeated).success).toBe(false);
  });

  it('rejects decimal, negative, zero or numeric amounts and bad payout accounts', () => {
    for (const amount of ['45000.5', '-1', '0', '045', 45000]) {
      const event = { ...approved(), grant: { ...approved().grant, amount } };
      expect(ApplicationApproved.data.safeParse(event).success).toBe(false);
    }
    expect(
      ApplicationApproved.data.safeParse({ ...approved(), payoutAccount: 'Ada.near' }).success,
    ).toBe(false);
  });

  it('parses submitted, rejected and withdrawn events', () => {
    const base = { applicationId: approved().applicationId, founder: 'ada.near' };
    expect(
      ApplicationSubmitted.data.safeParse({
        ...base,
        title: 'T',
        category: 'agents',
        requestedFunding: { asset: 'NEAR', amount: '1000000000000000000000000' },
        round: 1,
        resubmission: false,
        submittedAt: '2026-12-01T10:00:00Z',
      }).success,
    ).toBe(true);
    expect(
      ApplicationRejected.data.safeParse({
        ...base,
        reason: 'out of scope',
        decidedBy: 'admin-1',
        rejectedAt: '2026-12-01T10:00:00Z',
      }).success,
    ).toBe(true);
    expect(
      ApplicationWithdrawn.data.safeParse({
        ...base,
        previousStatus: 'under_review',
        withdrawnAt: '2026-12-01T10:00:00+01:00',
      }).success,
    ).toBe(true);
    expect(
      ApplicationWithdrawn.data.safeParse({
        ...base,
        previousStatus: 'approved',
        withdrawnAt: '2026-12-01T10:00:00Z',
      }).success,
    ).toBe(false);
  });
});
