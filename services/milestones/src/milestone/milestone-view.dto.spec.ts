import { createAssetRegistry } from '@lib/near';
import { isOverdue, milestoneViewOf } from './milestone-view.dto';

const assets = createAssetRegistry({ network: 'local' });
const milestone = {
  grantId: '5b0c2a8e-4f7d-4a57-9a57-1f1d2c3b4a59',
  number: 1,
  title: 'Prototype',
  dueDate: '2027-03-01',
  asset: 'NEAR',
  amount: 1_500_000_000_000_000_000_000_000n,
  status: 'pending' as const,
  submissions: [],
  reviews: [
    {
      submission: 1,
      decision: 'reject' as const,
      comment: 'Private repo',
      reviewedBy: 'rev-alice',
      reviewedAt: '2027-02-01T00:00:00.000Z',
    },
  ],
  acceptedBy: null,
  version: 3,
};

describe('milestone view', () => {
  it('is overdue only after its due date (UTC), and never once accepted or cancelled', () => {
    expect(isOverdue(milestone, new Date('2027-03-01T23:59:59Z'))).toBe(false);
    expect(isOverdue(milestone, new Date('2027-03-02T00:00:00Z'))).toBe(true);
    for (const status of ['submitted', 'rejected'] as const) {
      expect(isOverdue({ ...milestone, status }, new Date('2027-04-01Z'))).toBe(true);
    }
    for (const status of ['accepted', 'cancelled'] as const) {
      expect(isOverdue({ ...milestone, status }, new Date('2027-04-01Z'))).toBe(false);
    }
  });

  it('shows the amount as a decimal of the asset, and reviewers’ identities to staff only', () => {
    const now = new Date('2027-03-02T00:00:00Z');
    const staff = milestoneViewOf(milestone, { assets, now, audience: 'staff' });
    expect(staff).toMatchObject({ amount: '1.5', asset: 'NEAR', overdue: true, acceptedBy: null });
    expect(staff.reviews[0].reviewedBy).toBe('rev-alice');
    const founder = milestoneViewOf(milestone, { assets, now, audience: 'founder' });
    expect(founder.reviews).toEqual([
      {
        submission: 1,
        decision: 'reject',
        comment: 'Private repo',
        reviewedAt: '2027-02-01T00:00:00.000Z',
      },
    ]);
    expect(founder).not.toHaveProperty('acceptedBy');
  });
});
