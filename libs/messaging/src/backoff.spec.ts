import { computeBackoffMs, DEFAULT_BACKOFF, sleepWithHeartbeat } from './backoff';

describe('computeBackoffMs', () => {
  const policy = { initialMs: 100, maxMs: 1000, multiplier: 2 };

  it('grows exponentially from initialMs and caps at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => computeBackoffMs(attempt, policy))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('defaults to 0.5 s doubling up to 30 s', () => {
    expect([1, 2, 3, 4].map((a) => computeBackoffMs(a, DEFAULT_BACKOFF))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect(computeBackoffMs(20, DEFAULT_BACKOFF)).toBe(30_000);
  });

  it('takes at most the jitter fraction off', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(computeBackoffMs(3, jittered, () => 0)).toBe(400);
    expect(computeBackoffMs(3, jittered, () => 0.999999)).toBe(200);
    expect(computeBackoffMs(3, jittered, () => 0.5)).toBe(300);
  });

  it('multiplier 1 is a constant wait', () => {
    expect(computeBackoffMs(7, { initialMs: 250, maxMs: 1000, multiplier: 1 })).toBe(250);
  });

  it('rejects nonsense', () => {
    expect(() => computeBackoffMs(0, policy)).toThrow(RangeError);
    expect(() => computeBackoffMs(1.5, policy)).toThrow(RangeError);
    expect(() => computeBackoffMs(1, { ...policy, multiplier: 0.5 })).toThrow(RangeError);
  });
});

describe('sleepWithHeartbeat', () => {
  it('heartbeats while waiting and resolves true when the time is up', async () => {
    const ticks: number[] = [];
    const started = Date.now();
    const slept = await sleepWithHeartbeat(
      120,
      new AbortController().signal,
      async () => void ticks.push(Date.now() - started),
      40,
    );
    expect(slept).toBe(true);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('wakes early and resolves false when aborted', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 30);
    await expect(sleepWithHeartbeat(10_000, abort.signal, async () => {}, 1000)).resolves.toBe(
      false,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects when a heartbeat fails (the group is rebalancing)', async () => {
    const rebalancing = new Error('The group is rebalancing');
    await expect(
      sleepWithHeartbeat(1000, new AbortController().signal, () => Promise.reject(rebalancing), 10),
    ).rejects.toBe(rebalancing);
  });
});
