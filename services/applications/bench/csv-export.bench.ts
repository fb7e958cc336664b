/**
 * RSS of the applications service while it streams a CSV export of 10,000 queue rows
 * (`BENCH_ROWS`). The service runs as its own process on a database of its own (dropped at the
 * end); its VmRSS is sampled every 10 ms from /proc while the export is read chunk by chunk.
 *   node -r @swc-node/register services/applications/bench/csv-export.bench.ts
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { signDevToken } from '@lib/auth';
import { REPO_ROOT } from '@lib/ops';
import { freePort } from '@lib/testing';
import { seedApplications } from '../test/seed-applications';
import { buildQueue, withBenchDatabase } from './bench-database';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const SECRET = `bench-${randomUUID()}-${randomUUID()}`;

const rssKb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

const main = () =>
  withBenchDatabase(async ({ url, pool, store }) => {
    let child: ReturnType<typeof spawn> | undefined;
    try {
      const events = await seedApplications(store, ROWS, { concurrency: 8 });
      await buildQueue(store);
      // The relay must not publish these seeded events to the shared broker: start it at the end.
      await pool.query(
        `INSERT INTO applications.subscription_checkpoints (name, transaction_id, global_position)
       SELECT 'applications.kafka-relay', transaction_id, global_position FROM applications.events
       ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );

      const port = await freePort();
      child = spawn(
        process.execPath,
        ['-r', '@swc-node/register', join(REPO_ROOT, 'services/applications/src/main.ts')],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            NODE_ENV: 'development',
            PORT: String(port),
            DATABASE_URL: url,
            AUTH_JWT_SECRET: SECRET,
            NEAR_NETWORK: 'local',
            LOG_LEVEL: 'warn',
            // e.g. --max-old-space-size=96: a bounded heap shows the export does not hold its rows.
            ...(process.env.BENCH_CHILD_NODE_OPTIONS
              ? { NODE_OPTIONS: process.env.BENCH_CHILD_NODE_OPTIONS }
              : {}),
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        const up = await fetch(`${base}/health/live`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (i > 600) throw new Error('service did not start');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const token = await signDevToken(
        { sub: 'bench-admin', roles: ['admin'], ttl: '1h' },
        SECRET,
        {
          issuer: 'incubator-dev',
          audience: 'incubator-api',
        },
      );
      const headers = { authorization: `Bearer ${token}` };
      // Warm up the code path with a small export, then settle.
      await (
        await fetch(`${base}/v1/applications?format=csv&status=withdrawn&createdTo=1971-01-01`, {
          headers,
        })
      ).text();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const pid = child.pid!;
      const baseline = rssKb(pid);

      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssKb(pid));
      }, 10);
      const started = Date.now();
      const response = await fetch(`${base}/v1/applications?format=csv`, { headers });
      let bytes = 0;
      let lines = 0;
      let chunks = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        chunks++;
        for (const byte of chunk) if (byte === 10) lines++;
      }
      const ms = Date.now() - started;
      clearInterval(sampler);
      peak = Math.max(peak, rssKb(pid));
      console.log(
        JSON.stringify(
          {
            date: new Date().toISOString(),
            machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
            node: process.version,
            status: response.status,
            contentType: response.headers.get('content-type'),
            childNodeOptions: process.env.BENCH_CHILD_NODE_OPTIONS ?? null,
            rowsSeeded: ROWS,
            eventsSeeded: events,
            csvLines: lines,
            csvBytes: bytes,
            chunks,
            exportMs: ms,
            serviceRssBaselineMiB: +(baseline / 1024).toFixed(1),
            serviceRssPeakMiB: +(peak / 1024).toFixed(1),
            serviceRssGrowthMiB: +((peak - baseline) / 1024).toFixed(1),
            csvMiB: +(bytes / 2 ** 20).toFixed(2),
          },
          null,
          2,
        ),
      );
    } finally {
      child?.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  });

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
