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
  ])('%s → %s', (path, upstream) => {
    expect(routeFor(path)).toBe(upstream);
  });

  it.each(['/v1', '/v1/applicationsx', '/health/ready', '/v2/applications'])(
    '%s has no upstream',
    (path) => {
      expect(routeFor(path)).toBeUndefined();
    },
  );
});
