/**
 * Measured run of `npm run ops -- rebuild applications.application-queue` on a store of about
 * 100,000 events (`BENCH_EVENTS`), in a database of its own (dropped at the end). Prints the
 * machine, the time of the rebuild as an operator runs it (its own process, progress lines on
 * stderr), and whether the rebuilt table equals the fresh build.
 *   node -r @swc-node/register services/applications/bench/rebuild.bench.ts
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@lib/ops';
import { seedApplications } from '../test/seed-applications';
import { buildQueue, withBenchDatabase } from './bench-database';

const TARGET = Number(process.env.BENCH_EVENTS ?? 100_000);

const main = () =>
  withBenchDatabase(async ({ url, pool, store }) => {
    // 7 events per 3 applications (every third is withdrawn too).
    const applications = Math.ceil((TARGET * 3) / 7);
    const seedStarted = Date.now();
    const events = await seedApplications(store, applications, { concurrency: 8 });
    console.log(
      `seeded ${applications} applications, ${events} events in ${Date.now() - seedStarted} ms`,
    );

    await buildQueue(store);
    const expected = await pool.query(
      "SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS digest, count(*) FROM applications.application_queue t",
    );

    const started = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        join(REPO_ROOT, 'libs/ops/src/main.ts'),
        'rebuild',
        'application-queue',
        '--json',
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: url },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const report = JSON.parse(out) as { events: number; milliseconds: number; batches: number };
    const actual = await pool.query(
      "SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS digest, count(*) FROM applications.application_queue t",
    );
    const { rows: pg } = await pool.query<{ version: string }>('SELECT version()');
    console.log(
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
          node: process.version,
          postgres: pg[0].version.split(' ').slice(0, 2).join(' '),
          exitCode: code,
          events: report.events,
          batches: report.batches,
          rebuildMs: report.milliseconds,
          processWallMs: Math.round(wallMs),
          eventsPerSecond: Math.round((report.events * 1000) / report.milliseconds),
          equalToFreshBuild:
            actual.rows[0].digest === expected.rows[0].digest &&
            actual.rows[0].count === expected.rows[0].count,
          rows: Number(actual.rows[0].count),
        },
        null,
        2,
      ),
    );
  });

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
