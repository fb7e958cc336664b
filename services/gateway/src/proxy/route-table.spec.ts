import { routeFor } from './route-table';

describe('routeFor', () => {
  it.each([
    ['/v1/auth/near/challenge', 'applications'],
    ['/v1/applications', 'applications'],
    ['/v1/applications/abc/submit', 'applications'],
    ['/v1/grants', 'grants'],
    ['/v1/grants/g1/accept', 'grants'],
    ['/v1/grants/g1/milestones/2/submissions', 'milestones'],
    ['/v1/disbursements/d1/approve', 'disbursements'],
    ['/v1/treasury/runs', 'disbursements'],
    ['/v1/treasury', 'disbursements'],
    ['/v1/treasury/balances', 'settlement'],
    ['/v1/audit/streams/application-0b7c1f0e-9d43-4e55-9c3a-1f1d2a3b4c5d', 'applications'],
    ['/v1/audit/streams/grant-0b7c1f0e-9d43-4e55-9c3a-1f1d2a3b4c5d', 'grants'],
    ['/v1/audit/streams/milestone-0b7c1f0e-9d43-4e55-9c3a-1f1d2a3b4c5d-2', 'milestones'],
    ['/v1/audit/streams/disbursement-0b7c1f0e-9d43-4e55-9c3a-1f1d2a3b4c5d-2', 'disbursements'],
    ['/v1/audit/streams/payout-0b7c1f0e-9d43-4e55-9c3a-1f1d2a3b4c5d-2-1', 'settlement'],
    ['/v1/audit/verify/applications', 'applications'],
    ['/v1/audit/verify/grants', 'grants'],
    ['/v1/audit/verify/milestones', 'milestones'],
    ['/v1/audit/verify/disbursements', 'disbursements'],
    ['/v1/audit/verify/near-settlement', 'settlement'],
  ])('%s → %s', (path, upstream) => {
    expect(routeFor(path)).toBe(upstream);
  });

  it.each([
    '/v1',
    '/v1/applicationsx',
    '/health/ready',
    '/v2/applications',
    '/metrics',
    '/v1/metrics',
    '/v1/audit/verify',
    '/v1/audit/streams/unknown-1',
    '/v1/audit/verify/gateway',
  ])('%s has no upstream', (path) => {
    expect(routeFor(path)).toBeUndefined();
  });
});
