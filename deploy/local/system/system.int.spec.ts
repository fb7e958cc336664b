import { Client } from 'pg';
import { SystemRunner } from './system';
import { SystemClient } from './system-client';

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('system runner (separate processes: emulator, two applications replicas, gateway, own broker)', () => {
  let system: SystemRunner;
  let client: SystemClient;

  beforeAll(async () => {
    system = new SystemRunner({ services: ['applications'], replicas: 2 });
    await system.start();
    client = new SystemClient(system);
  }, 300_000);

  afterAll(async () => {
    await system?.stop();
  }, 120_000);

  it('serves through the gateway while one replica is SIGKILLed, then restarted; stop leaves no process', async () => {
    const processes = system.list();
    expect(processes.map((p) => `${p.service}#${p.replica}`).sort()).toEqual([
      'applications#0',
      'applications#1',
      'gateway#0',
      'near-emulator#0',
    ]);
    expect(processes.every((p) => p.alive)).toBe(true);
    expect(new Set(processes.map((p) => p.port)).size).toBe(4);

    const founder = await client.signInFounder();
    const created = await client.call('POST', '/v1/applications', founder.token, {
      body: client.applicationBody(founder.accountId, 'NEAR', ['10', '20']),
      expect: 201,
    });
    const id = created.body.id as string;

    // Every request finds a live replica: the gateway skips the killed one after its refusal.
    await system.kill('applications', 0, 'SIGKILL');
    expect(system.list().find((p) => p.service === 'applications' && p.replica === 0)!.alive).toBe(
      false,
    );
    for (let i = 0; i < 4; i++) {
      const read = await client.call('GET', `/v1/applications/${id}`, founder.token, {
        expect: 200,
      });
      expect(read.body.id).toBe(id);
    }

    await system.restart('applications', 0);
    await system.kill('applications', 1, 'SIGTERM');
    for (let i = 0; i < 4; i++) {
      await client.call('GET', `/v1/applications/${id}`, founder.token, { expect: 200 });
    }
    await system.restart('applications', 1);

    const pids = system.list().map((p) => p.pid);
    const databaseUrl = system.databaseUrl;
    await system.stop();
    expect(pids.filter(alive)).toEqual([]);
    const admin = new Client({ connectionString: databaseUrl.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      new URL(databaseUrl).pathname.slice(1),
    ]);
    await admin.end();
    expect(rows).toEqual([]);
  }, 300_000);
});

describe('system runner with a private PostgreSQL server', () => {
  it('runs a service on its own server, survives an immediate (crash) restart of it, removes it on stop', async () => {
    // The shared broker is fine here: the applications service only produces, and nothing is appended.
    const system = new SystemRunner({
      services: ['applications'],
      gateway: false,
      database: 'private',
      kafka: { brokers: process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092' },
    });
    await system.start();
    try {
      expect(system.hasPrivatePostgres).toBe(true);
      expect(new URL(system.databaseUrl).port).not.toBe('5432');
      await system.restartPostgres('immediate');
      // Ready again: its pools reconnected to the restarted server (or, if the process died of
      // it, the supervisor restarted it; `crashes` counts that, and the fault suite reports it).
      await system.waitReady('applications', 0);
      const client = new Client({ connectionString: system.databaseUrl });
      await client.connect();
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'applications'`,
      );
      await client.end();
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await system.stop();
    }
    expect(system.list().filter((p) => p.alive)).toEqual([]);
  }, 300_000);
});
