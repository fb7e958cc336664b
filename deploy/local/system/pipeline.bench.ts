/**
 * `npm run bench:pipeline`: the speed of the money path.
 *   1. append: the event store's append throughput against a plain INSERT and against Emmett
 *      (libs/event-store/bench/append.bench.ts), 100 streams, 8 and 32 writers, same run;
 *   2. tranches: the whole system as separate processes (system runner), N grants each with one
 *      accepted, approved tranche, one treasury run for all; per tranche the time from "milestone
 *      accepted" (the review answered 200) to "settled" (the grant overview shows the tranche
 *      settled with its transaction hash), p50/p99, with where the time goes (accepted →
 *      disbursement visible → released by the run → settled).
 * Flags: --part append|tranches|all (default all), --tranches N (default 200), --asset NEAR|USDC,
 * --replicas N (default 1), --concurrency N (tranches in flight, default 8), --mode stream|batch
 * (stream: each tranche approved and released by a run at once; batch: one run for all).
 */
import { Command } from 'commander';
import { runAppendBench } from '../../../libs/event-store/bench/append.bench';
import {
  approveDisbursement,
  createStaff,
  activeGrant,
  disbursementOf,
  settledTranche,
  treasuryRun,
  type ActiveGrant,
} from './journey';
import { SystemRunner } from './system';
import { SystemClient } from './system-client';

interface TrancheTiming {
  grantId: string;
  acceptedAt: number;
  visibleAt: number;
  releasedAt: number;
  settledAt: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

async function tranchePipeline(options: {
  tranches: number;
  asset: string;
  replicas: number;
  concurrency: number;
  mode: string;
}): Promise<void> {
  const amount = options.asset === 'NEAR' ? '1' : '10';
  const system = new SystemRunner({
    replicas: options.replicas,
    env: {
      TREASURY_RUN_INTERVAL_SECONDS: '0',
      // Enough room for every tranche of the run in one window, one treasurer each.
      TREASURY_DAILY_LIMIT: 'NEAR=1000000,USDC=100000000',
      REVIEW_QUORUM: '2',
    },
  });
  const started = Date.now();
  await system.start();
  console.log(
    `system up in ${((Date.now() - started) / 1000).toFixed(1)} s (${options.replicas} replica(s) per service)`,
  );
  try {
    const client = new SystemClient(system);
    const staff = await createStaff(client);
    const setUp = Date.now();
    const grants: ActiveGrant[] = await pool(
      Array.from({ length: options.tranches }, (_, i) => i),
      options.concurrency,
      () => activeGrant(client, system.emulatorUrl, staff, options.asset, [amount]),
    );
    console.log(
      `${grants.length} active grants in ${((Date.now() - setUp) / 1000).toFixed(1)} s; accepting milestone 1 of each`,
    );
    const timings = new Map<string, TrancheTiming>();
    const accept = async (grant: ActiveGrant) => {
      const base = `/v1/grants/${grant.grantId}/milestones`;
      await client.call('POST', `${base}/1/submissions`, grant.founder.token, {
        body: { summary: 'Delivered', evidenceUrls: ['https://github.com/example/repo'] },
        expect: [200, 201],
      });
      await client.call('POST', `${base}/1/review`, staff.reviewers[0].token, {
        body: { decision: 'accept', comment: 'Verified' },
        expect: [200, 201],
      });
      const acceptedAt = Date.now();
      const disbursement = await disbursementOf(client, staff, grant.grantId, 1, 300_000);
      const visibleAt = Date.now();
      await approveDisbursement(client, staff, disbursement);
      const timing = { grantId: grant.grantId, acceptedAt, visibleAt, releasedAt: 0, settledAt: 0 };
      timings.set(grant.grantId, timing);
      return timing;
    };
    if (options.mode === 'stream') {
      // Each tranche on its own: accepted, approved, a treasury run at once, settled; `concurrency`
      // tranches in flight (runs are one at a time, so a run may release several).
      await pool(grants, options.concurrency, async (grant) => {
        const timing = await accept(grant);
        await treasuryRun(client, staff);
        timing.releasedAt = Date.now();
        await settledTranche(client, grant, 1, 600_000);
        timing.settledAt = Date.now();
      });
    } else {
      // Batch: every tranche accepted and approved first, then one run releases them all.
      await pool(grants, options.concurrency, accept);
      const run = await treasuryRun(client, staff);
      const releasedAt = Date.now();
      console.log(
        `treasury run released ${run.released?.length ?? 0}, waiting ${run.waiting?.length ?? 0}`,
      );
      await pool(grants, 32, async (grant) => {
        await settledTranche(client, grant, 1, 600_000);
        const timing = timings.get(grant.grantId)!;
        timing.releasedAt = releasedAt;
        timing.settledAt = Date.now();
      });
    }
    const all = [...timings.values()];
    const ms = (f: (t: TrancheTiming) => number) => all.map(f);
    const line = (name: string, values: number[]) =>
      console.log(
        `${name.padEnd(34)} p50 ${percentile(values, 50).toFixed(0).padStart(6)} ms  p99 ${percentile(values, 99).toFixed(0).padStart(6)} ms`,
      );
    const span = Math.max(...ms((t) => t.settledAt)) - Math.min(...ms((t) => t.acceptedAt));
    console.log(
      `tranches: ${all.length} (${options.asset} ${amount} each), mode ${options.mode}, ` +
        `${(span / 1000).toFixed(1)} s from the first acceptance to the last settlement`,
    );
    line(
      'accepted → settled',
      ms((t) => t.settledAt - t.acceptedAt),
    );
    line(
      'accepted → approved, run answered',
      ms((t) => t.releasedAt - t.acceptedAt),
    );
    line(
      'accepted → disbursement visible',
      ms((t) => t.visibleAt - t.acceptedAt),
    );
    line(
      'released by the run → settled',
      ms((t) => t.settledAt - t.releasedAt),
    );
  } finally {
    await system.stop();
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--part <part>', 'append | tranches | all', 'all')
    .option('--tranches <n>', 'tranches to settle', '200')
    .option('--asset <asset>', 'NEAR or USDC', 'USDC')
    .option('--replicas <n>', 'replicas per service', '1')
    .option('--concurrency <n>', 'grants set up in parallel', '8')
    .option(
      '--mode <mode>',
      'stream (each tranche run at once) | batch (one run for all)',
      'stream',
    )
    .parse(process.argv);
  const options = program.opts<{
    part: string;
    tranches: string;
    asset: string;
    replicas: string;
    concurrency: string;
    mode: string;
  }>();
  if (options.part === 'append' || options.part === 'all') await runAppendBench();
  if (options.part === 'tranches' || options.part === 'all') {
    await tranchePipeline({
      tranches: Number(options.tranches),
      asset: options.asset,
      replicas: Number(options.replicas),
      concurrency: Number(options.concurrency),
      mode: options.mode,
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
