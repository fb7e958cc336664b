import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { PostgresEventStore, ProjectionRunner } from '@lib/event-store';
import { createDataSource, migrateSchema } from '@lib/platform';
import {
  buildProgram,
  loadServices,
  type OpsContext,
  type ReconcileOutcome,
  REPO_ROOT,
  type ServiceOps,
} from '@lib/ops';
import { migrations } from '../src/migrations';
import { ops as applicationsOps } from '../src/ops';
import { createTempDatabase } from './temp-database';
import { seedApplications } from './seed-applications';

const run = promisify(execFile);

/** A non-TTY stream that keeps what was written. */
function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => chunks.join('');
  return stream;
}

async function cli(databaseUrl: string, argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await buildProgram({ out, err, env: { DATABASE_URL: databaseUrl } }).run(argv);
  return { code, out: out.text(), err: err.text() };
}

const queueRows = async (pool: Pool) =>
  (await pool.query('SELECT * FROM applications.application_queue ORDER BY id')).rows;

describe('npm run ops (operator CLI) on a database of its own', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: Pool;
  let store: PostgresEventStore;
  let seeded: number;

  beforeAll(async () => {
    db = await createTempDatabase();
    pool = new Pool({ connectionString: db.url, max: 6 });
    const dataSource = createDataSource({
      databaseUrl: db.url,
      schema: 'applications',
      migrations,
    });
    await migrateSchema(pool, dataSource, 'applications');
    await dataSource.destroy();
    store = new PostgresEventStore(pool, 'applications');
    seeded = await seedApplications(store, 400);
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('rebuild: reports progress and ends with the projection equal to a fresh build', async () => {
    // The fresh build: the projection run from zero on an empty table.
    const fresh = new ProjectionRunner(applicationsOps.projections![0].create(store), { store });
    while ((await fresh.pollOnce()) > 0);
    const expected = await queueRows(pool);
    expect(expected).toHaveLength(400);
    expect(new Set(expected.map((r) => r.status))).toEqual(new Set(['submitted', 'withdrawn']));

    // The read model drifts (a bad deploy, a manual edit): rows lost and rows wrong.
    await pool.query(
      `DELETE FROM applications.application_queue WHERE id IN
         (SELECT id FROM applications.application_queue ORDER BY id LIMIT 50)`,
    );
    await pool.query(`UPDATE applications.application_queue SET status = 'approved', title = 'x'`);

    const result = await cli(db.url, [
      'rebuild',
      'application-queue',
      '--batch-size',
      '100',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as { projection: string; events: number };
    expect(report).toMatchObject({ projection: 'applications.application-queue', events: seeded });
    const progress = result.err.trim().split('\n');
    expect(progress[0]).toBe(`rebuild applications.application-queue: 0/${seeded} (0%)`);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress[progress.length - 1]).toBe(
      `rebuild applications.application-queue: ${seeded}/${seeded} (100%)`,
    );
    expect(await queueRows(pool)).toEqual(expected);

    const lag = await cli(db.url, ['lag', '--json']);
    expect(lag.code).toBe(0);
    expect(JSON.parse(lag.out).subscriptions).toEqual([
      expect.objectContaining({
        schema: 'applications',
        subscription: 'applications.application-queue',
        events: 0,
        seconds: 0,
      }),
    ]);
  });

  it('rebuild of an unknown projection exits 2 naming the known ones', async () => {
    const result = await cli(db.url, ['rebuild', 'no-such-projection']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('known: applications.application-queue');
  });

  it('verify: exit 0 on intact chains, exit 1 naming the tampered event', async () => {
    const intact = await cli(db.url, ['verify']);
    expect(intact.code).toBe(0);
    expect(intact.out).toContain(
      `applications: 400 streams, ${seeded} events checked, all hash chains intact`,
    );

    const { rows } = await pool.query<{ stream_id: string; event_id: string }>(
      `SELECT stream_id, event_id FROM applications.events WHERE stream_version = 2
       ORDER BY global_position LIMIT 1 OFFSET 7`,
    );
    const victim = rows[0];
    // Only the table owner can do this, visibly: the append-only trigger has to go first.
    await pool.query('ALTER TABLE applications.events DISABLE TRIGGER events_append_only');
    await pool.query(
      `UPDATE applications.events SET data = jsonb_set(data, '{round}', '7')
       WHERE stream_id = $1 AND stream_version = 2`,
      [victim.stream_id],
    );
    await pool.query('ALTER TABLE applications.events ENABLE TRIGGER events_append_only');

    // As an operator runs it: a process of its own, through the CLI entry point.
    const failed = await run(
      process.execPath,
      ['-r', '@swc-node/register', join(REPO_ROOT, 'libs/ops/src/main.ts'), 'verify'],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: db.url } },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(
      `BROKEN applications: ${victim.stream_id} @ version 2 (event ${victim.event_id}): ` +
        'hash does not match the stored event',
    );
    const json = await cli(db.url, ['verify', '--schema', 'applications', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      schemas: [{ schema: 'applications', broken: [{ eventId: victim.event_id }] }],
    });
  }, 60_000);

  it('reconcile delegates to near-settlement: its manifest offers it, and discrepancies exit 1', async () => {
    const settlement = loadServices().find((svc) => svc.service === 'near-settlement');
    expect(typeof settlement?.reconcile).toBe('function');

    const calls: OpsContext[] = [];
    const withReconcile = (found: ReconcileOutcome): ServiceOps[] => [
      {
        service: 'near-settlement',
        schema: 'near_settlement',
        reconcile: async (ctx, report) => {
          calls.push(ctx);
          report(1, 1);
          return found;
        },
      },
    ];
    const run = async (services: ServiceOps[], argv: string[]) => {
      const out = capture();
      const err = capture();
      const code = await buildProgram({ out, err, env: { DATABASE_URL: db.url } }, services).run(
        argv,
      );
      return { code, out: out.text() };
    };
    const clean = await run(withReconcile({ checked: 1, discrepancies: [] }), ['reconcile']);
    expect(clean).toEqual({ code: 0, out: 'reconcile: 1 checked, 0 discrepancies\n' });
    expect(calls[0].databaseUrl).toBe(db.url);
    const dirty = await run(
      withReconcile({
        checked: 1,
        discrepancies: [{ kind: 'foreign_nonce', detail: 'lane ed25519:x' }],
      }),
      ['reconcile', '--json'],
    );
    expect(dirty.code).toBe(1);
    expect(JSON.parse(dirty.out)).toMatchObject({
      available: true,
      discrepancies: [{ kind: 'foreign_nonce' }],
    });
    // A service without the hook is reported as such, never as "no discrepancies".
    const missing = await run(
      [{ service: 'near-settlement', schema: 'near_settlement' }],
      ['reconcile'],
    );
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('reconcile is not available');
  });

  it('every command has --help', async () => {
    for (const argv of [['rebuild'], ['verify'], ['dlq', 'replay'], ['reconcile'], ['lag']]) {
      const result = await cli(db.url, [...argv, '--help']);
      expect(result.code).toBe(0);
      expect(result.out).toContain(`Usage: ops ${argv.join(' ')}`);
      expect(result.out).toContain('--json');
    }
  });
});
