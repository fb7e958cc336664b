import { FaultSuite, faultSystem } from '../local/system/faults';
import { advisoryLockHolders } from '../local/system/observe';
import { BACKEND_SERVICES, type SystemRunner } from '../local/system/system';

/**
 * Three replicas of every service (own ports, one PostgreSQL and Kafka, the gateway spreading
 * requests). Mid-flow, for every service, the replica holding its advisory locks (relay,
 * projections, signer lanes) is SIGKILLed and stays down: the survivors take the locks over, the
 * consumer groups rebalance, every accepted tranche is paid exactly once, nothing else is.
 */
describe('three replicas of every service: SIGKILL the lock holders mid-flow', () => {
  let system: SystemRunner;

  beforeAll(async () => {
    system = faultSystem(3);
    await system.start();
  }, 600_000);

  afterAll(async () => {
    await system?.stop();
  }, 180_000);

  it('nothing lost or doubled; locks and partitions move to the surviving replicas', async () => {
    const suite = new FaultSuite(system, () => 0.5);
    await suite.setUp();
    const killed: string[] = [];
    const result = await suite.trialWith(1, 'a', 6, async (delayMs) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const holders = await advisoryLockHolders(system.databaseUrl);
      for (const service of BACKEND_SERVICES) {
        const replicas = system.list().filter((p) => p.service === service && p.alive);
        // The replica holding most of this service's locks (any, if none holds one yet).
        const victim = [...replicas].sort(
          (a, b) => (holders.get(b.pid ?? -1) ?? 0) - (holders.get(a.pid ?? -1) ?? 0),
        )[0];
        await system.kill(service, victim.replica, 'SIGKILL');
        killed.push(`${service}#${victim.replica}(${holders.get(victim.pid ?? -1) ?? 0} locks)`);
      }
      return `SIGKILL ${killed.join(', ')}`;
    });
    expect(result.violations).toEqual([]);
    expect(result.crashes).toEqual([]);
    expect(killed).toHaveLength(BACKEND_SERVICES.length);
    // The victims really held locks (relays, projections, lanes), so something had to move.
    expect(killed.filter((k) => !k.endsWith('(0 locks)')).length).toBeGreaterThan(0);
    console.log(`${result.detail}; ${result.payouts} payouts in ${result.seconds.toFixed(1)} s`);

    // The locks are held again, only by live replicas.
    const holders = await advisoryLockHolders(system.databaseUrl);
    const alivePids = new Set(
      system
        .list()
        .filter((p) => p.alive)
        .map((p) => p.pid),
    );
    expect([...holders.keys()].every((pid) => alivePids.has(pid))).toBe(true);
    expect([...holders.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 900_000);
});
