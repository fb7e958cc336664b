import { ReplicaSet } from './proxy.middleware';

describe('ReplicaSet (gateway upstream replicas)', () => {
  it('spreads requests round-robin over a comma-separated list', () => {
    const set = new ReplicaSet(
      'http://127.0.0.1:4001, http://127.0.0.1:4002,http://127.0.0.1:4003',
    );
    const picked = Array.from({ length: 6 }, () => set.pick(0).port);
    expect(picked).toEqual(['4001', '4002', '4003', '4001', '4002', '4003']);
  });

  it('skips a replica that refused a connection until its pause is over', () => {
    const set = new ReplicaSet('http://127.0.0.1:4001,http://127.0.0.1:4002', 1000);
    const first = set.pick(0);
    set.markDown(first, 0);
    expect([set.pick(10).port, set.pick(20).port, set.pick(30).port]).toEqual([
      '4002',
      '4002',
      '4002',
    ]);
    expect(new Set([set.pick(1000).port, set.pick(1000).port])).toEqual(new Set(['4001', '4002']));
  });

  it('still answers with some replica when every one is down, and a single URL works as before', () => {
    const all = new ReplicaSet('http://127.0.0.1:4001,http://127.0.0.1:4002');
    all.markDown(all.pick(0), 0);
    all.markDown(all.pick(0), 0);
    expect(['4001', '4002']).toContain(all.pick(1).port);
    expect(new ReplicaSet('http://127.0.0.1:3001').pick().href).toBe('http://127.0.0.1:3001/');
  });
});
