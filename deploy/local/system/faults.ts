/**
 * `npm run test:faults [-- --trials N --payouts P --faults a,b,c,d,e --seed S]`: trials of the money
 * path on the whole system (separate processes, private broker, fresh database, NEAR emulator),
 * each a run of P payouts with ONE fault injected at a random moment:
 *   a  SIGKILL of a random service (or the gateway), then restart
 *   b  restart of the (private) Kafka broker
 *   c  PostgreSQL restart: the system's own server (`database: 'private'`, the default here:
 *      initdb in /tmp, its own port); on a shared server only with FAULTS_ALLOW_PG_RESTART=1
 *   d  duplicate deliveries: one service's consumer group reset to the start of its topics
 *   e  NEAR RPC faults: 408 after apply, dropped responses (before/after apply), 503s, delays
 * After each trial, once every consumer group has caught up: the invariant checker (exactly once
 * on chain, approvals, limits, lag 0, audit chains). Prints a table per fault and
 * `N passed, N failed`; exits 1 on any violation. Results also as JSON in .run/faults-<time>.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import {
  checkInvariants,
  type DisbursementObservation,
  type TrancheObservation,
  type Violation,
} from './invariants';
import {
  acceptMilestone,
  activeGrant,
  approveDisbursement,
  createStaff,
  disbursementOf,
  payoutBalance,
  type ActiveGrant,
  type Staff,
  toUnits,
  treasuryRun,
} from './journey';
import { type EmulatorFault, injectFault } from './near-rpc';
import { auditChains, consumerLag } from './observe';
import { BACKEND_SERVICES, ROOT, SystemRunner, type ServiceName } from './system';
import { eventually, SystemClient } from './system-client';

const exec = promisify(execFile);

export type FaultKind = 'a' | 'b' | 'c' | 'd' | 'e';
export const FAULT_NAMES: Record<FaultKind, string> = {
  a: 'SIGKILL a service, restart',
  b: 'Kafka broker restart',
  c: 'PostgreSQL restart',
  d: 'consumer group reset to the start',
  e: 'NEAR RPC faults',
};

const THRESHOLD = { NEAR: toUnits('100', 'NEAR'), USDC: toUnits('10000', 'USDC') };
const LIMIT = { NEAR: toUnits('1000000', 'NEAR'), USDC: toUnits('1000000000', 'USDC') };

/** The services with consumer groups (fault d resets them); applications only publishes. */
const CONSUMING_SERVICES = BACKEND_SERVICES.filter((service) => service !== 'applications');

/** A small deterministic PRNG (mulberry32) so a failing trial can be re-run with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TrialResult {
  trial: number;
  fault: FaultKind;
  detail: string;
  payouts: number;
  seconds: number;
  violations: Violation[];
  flowErrors: string[];
  /** Service processes that exited on their own during the trial (the supervisor restarted them). */
  crashes: string[];
}

export class FaultSuite {
  private client!: SystemClient;
  private staff!: Staff;

  constructor(
    readonly system: SystemRunner,
    private readonly rand: () => number,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {}

  async setUp(): Promise<void> {
    this.client = new SystemClient(this.system);
    this.staff = await createStaff(this.client);
  }

  /** One trial: P payouts, one fault of `kind` at a random moment, then the invariant check. */
  async trial(trial: number, kind: FaultKind, payouts: number): Promise<TrialResult> {
    return this.trialWith(trial, kind, payouts, (delayMs) => this.inject(kind, delayMs));
  }

  /** A trial with a fault of the caller's: `inject` gets the random delay and names what it did. */
  async trialWith(
    trial: number,
    kind: FaultKind,
    payouts: number,
    inject: (delayMs: number) => Promise<string>,
  ): Promise<TrialResult> {
    const started = Date.now();
    await this.system.waitReady(); // a process restarted by the supervisor may still be starting
    const crashesBefore = new Map(
      this.system.list().map((p) => [`${p.service}#${p.replica}`, p.crashes]),
    );
    const grants: ActiveGrant[] = [];
    for (let i = 0; i < payouts; i++) {
      // Alternate assets; every other USDC tranche is above the dual-approval threshold.
      const asset = i % 2 === 0 ? 'USDC' : 'NEAR';
      const amount = asset === 'USDC' ? (i % 4 === 0 ? '12000' : '25') : '2';
      grants.push(
        await activeGrant(this.client, this.system.emulatorUrl, this.staff, asset, [amount, '1']),
      );
    }
    const before = await this.balances(grants);
    const flowErrors: string[] = [];
    const delayMs = Math.floor(this.rand() * 4000);
    const fault = inject(delayMs);
    const flow = this.flow(grants).catch((error: unknown) => {
      flowErrors.push(error instanceof Error ? error.message : String(error));
    });
    const [detail] = await Promise.all([fault, flow]);
    // A flow step that failed during the fault is taken up again, as a user would.
    if (flowErrors.length > 0) {
      await this.flow(grants).catch((error: unknown) => {
        flowErrors.push(
          `after recovery: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    }
    const violations = await this.check(grants, before);
    const crashes = this.system
      .list()
      .filter((p) => p.crashes > (crashesBefore.get(`${p.service}#${p.replica}`) ?? 0))
      .map((p) => `${p.service}#${p.replica}`);
    return {
      crashes,
      trial,
      fault: kind,
      detail: `${detail} at +${delayMs} ms`,
      payouts,
      seconds: (Date.now() - started) / 1000,
      violations,
      flowErrors,
    };
  }

  /** Milestone 1 of each grant accepted and approved, treasury runs until released, settled. */
  private async flow(grants: ActiveGrant[]): Promise<void> {
    const deadline = Date.now() + 240_000;
    await Promise.all(
      grants.map(async (grant) => {
        const milestones = await this.client.call(
          'GET',
          `/v1/grants/${grant.grantId}/milestones`,
          grant.founder.token,
          { expect: 200 },
        );
        const first = milestones.body.items?.find((m) => m.number === 1);
        if (first?.status === 'submitted') {
          await this.client.call(
            'POST',
            `/v1/grants/${grant.grantId}/milestones/1/review`,
            this.staff.reviewers[0].token,
            { body: { decision: 'accept', comment: 'Verified' }, expect: [200, 201] },
          );
        } else if (first?.status !== 'accepted') {
          await acceptMilestone(this.client, this.staff, grant, 1);
        }
        const disbursement = await disbursementOf(
          this.client,
          this.staff,
          grant.grantId,
          1,
          180_000,
        );
        if (disbursement.status === 'awaiting_approval') {
          await approveDisbursement(this.client, this.staff, disbursement);
        }
      }),
    );
    for (;;) {
      const states = await Promise.all(
        grants.map((g) => disbursementOf(this.client, this.staff, g.grantId, 1)),
      );
      if (states.every((d) => d.status === 'settled')) return;
      if (states.some((d) => d.status === 'failed')) {
        throw new Error(
          `failed payouts: ${states
            .filter((d) => d.status === 'failed')
            .map((d) => String(d.id))
            .join(', ')}`,
        );
      }
      if (states.some((d) => d.status === 'approved')) await treasuryRun(this.client, this.staff);
      if (Date.now() > deadline) {
        throw new Error(
          `not settled in time: ${states.map((d) => `${String(d.id)}=${String(d.status)}`).join(', ')}`,
        );
      }
      await sleep(500);
    }
  }

  private async inject(kind: FaultKind, delayMs: number): Promise<string> {
    await sleep(delayMs);
    switch (kind) {
      case 'a': {
        const candidates: ServiceName[] = [...BACKEND_SERVICES, 'gateway'];
        const service = candidates[Math.floor(this.rand() * candidates.length)];
        const replica = Math.floor(this.rand() * this.system.options.replicas);
        await this.system.kill(service, service === 'gateway' ? 0 : replica, 'SIGKILL');
        await this.system.restart(service, service === 'gateway' ? 0 : replica);
        return `SIGKILL ${service}#${service === 'gateway' ? 0 : replica}`;
      }
      case 'b':
        await this.system.restartKafka(1000);
        return 'broker stopped 1 s';
      case 'c': {
        if (this.system.hasPrivatePostgres) {
          await this.system.restartPostgres(this.rand() < 0.5 ? 'immediate' : 'fast', 1000);
          return 'private PostgreSQL restarted';
        }
        if (process.env.FAULTS_ALLOW_PG_RESTART !== '1') {
          throw new Error('fault c on a shared server needs FAULTS_ALLOW_PG_RESTART=1');
        }
        await exec(
          'bash',
          [
            '-c',
            'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n1) main restart',
          ],
          { cwd: ROOT },
        );
        return 'PostgreSQL cluster restarted';
      }
      case 'd': {
        // Only services that consume (applications has no consumer group: a trial that picked it
        // had no fault at all, 5 of the 40 d-trials of the 2026-12-01 200-trial run).
        const service = CONSUMING_SERVICES[Math.floor(this.rand() * CONSUMING_SERVICES.length)];
        const reset = await this.resetGroups(service);
        if (reset.length === 0)
          throw new Error(`fault d: ${service} has no consumer group to reset`);
        return `reset ${reset.join(', ')}`;
      }
      case 'e': {
        const faults: EmulatorFault[] = [
          { kind: 'timeout-after-apply' },
          { kind: 'drop-connection-after-apply' },
          { kind: 'drop-connection' },
          { kind: 'http-error', status: 503, times: 3 },
          { kind: 'timeout-without-apply', times: 2 },
          { kind: 'timeout-apply-next-block' },
          { kind: 'delay', delayMs: 3000, methods: '*', times: 5 },
        ];
        const chosen = faults[Math.floor(this.rand() * faults.length)];
        await injectFault(this.system.emulatorUrl, chosen);
        return `emulator ${chosen.kind}${chosen.status ? ` ${chosen.status}` : ''} ×${chosen.times ?? 1}`;
      }
    }
  }

  /** Stops the service, resets each of its groups to the earliest offsets, starts it again. */
  private async resetGroups(service: (typeof BACKEND_SERVICES)[number]): Promise<string[]> {
    const kafka = new Kafka({
      clientId: 'fault-d',
      brokers: this.system.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await eventually(() => admin.listGroups(), 60_000, 'groups listed');
      const mine = groups.map((g) => g.groupId).filter((g) => g.startsWith(`${service}-`));
      const replicas = Array.from({ length: this.system.options.replicas }, (_, i) => i);
      const stopping = Date.now();
      await Promise.all(replicas.map((r) => this.system.kill(service, r, 'SIGTERM')));
      const stoppedIn = (Date.now() - stopping) / 1000;
      for (const groupId of mine) {
        // The group must be empty before its offsets can be reset.
        await eventually(
          async () => {
            const [described] = (await admin.describeGroups([groupId])).groups;
            return described.members.length === 0 ? true : undefined;
          },
          60_000,
          `group ${groupId} empty`,
        );
        const offsets = await eventually(() => admin.fetchOffsets({ groupId }), 60_000, 'offsets');
        for (const { topic } of offsets) {
          await admin.resetOffsets({ groupId, topic, earliest: true });
        }
      }
      for (const r of replicas) await this.system.restart(service, r);
      // How long the graceful stop took (bounded by SHUTDOWN_TIMEOUT_SECONDS, 25 s by default).
      return mine.map((group) => `${group} (stopped in ${stoppedIn.toFixed(1)} s)`);
    } finally {
      await admin.disconnect();
    }
  }

  private async balances(grants: ActiveGrant[]): Promise<bigint[]> {
    return Promise.all(
      grants.map((g) => payoutBalance(this.system.emulatorUrl, this.system.usdcContract, g)),
    );
  }

  /** Waits until every group caught up (bounded), then gathers what was paid and checks it. */
  private async check(grants: ActiveGrant[], before: bigint[]): Promise<Violation[]> {
    await this.system.waitReady();
    // Right after a broker restart the group coordinator may still be loading: ask again.
    const lagOf = () =>
      eventually(
        () => consumerLag(this.system.brokers, (g) => !g.startsWith('test-')),
        60_000,
        'consumer lag readable',
      );
    let lag = await lagOf();
    const deadline = Date.now() + 90_000;
    while (lag.some((l) => l.lag > 0n) && Date.now() < deadline) {
      await sleep(1000);
      lag = await lagOf();
    }
    const after = await this.balances(grants);
    const tranches: TrancheObservation[] = [];
    const disbursements: DisbursementObservation[] = [];
    for (const grant of grants) {
      const milestones = await this.client.call(
        'GET',
        `/v1/grants/${grant.grantId}/milestones`,
        grant.founder.token,
        { expect: 200, retries: 240 },
      );
      for (const [i, amount] of grant.amounts.entries()) {
        const status = milestones.body.items?.find((m) => m.number === i + 1)?.status;
        tranches.push({
          grantId: grant.grantId,
          tranche: i + 1,
          asset: grant.asset,
          amount: toUnits(amount, grant.asset),
          receiver: grant.payout.accountId,
          accepted: status === 'accepted',
        });
      }
      const list = await this.client.call(
        'GET',
        `/v1/disbursements?grantId=${grant.grantId}`,
        this.staff.treasurers[0].token,
        { expect: 200, retries: 240 },
      );
      for (const d of list.body.items ?? []) {
        const attempts =
          (d.attempts as {
            outcome: string;
            txHashes: string[];
            settledAt: string | null;
            releasedAt: string;
          }[]) ?? [];
        const settled = attempts.filter((a) => a.outcome === 'settled');
        disbursements.push({
          id: String(d.id),
          grantId: grant.grantId,
          tranche: Number(d.tranche),
          asset: String(d.asset),
          amount: toUnits(String(d.amount), String(d.asset)),
          receiver: String(d.receiver),
          status: String(d.status),
          approvedBy: (d.approvals as { by: string }[]).map((a) => a.by),
          acceptedBy: String(d.acceptedBy),
          founder: String(d.founder),
          paidAt: attempts[0]?.releasedAt ? new Date(attempts[0].releasedAt) : undefined,
          settledTxHashes: settled.map((a) => a.txHashes[a.txHashes.length - 1]),
        });
      }
    }
    return checkInvariants({
      tranches,
      disbursements,
      chain: grants.map((g, i) => ({
        receiver: g.payout.accountId,
        asset: g.asset,
        delta: after[i] - before[i],
      })),
      policy: { dualApprovalThreshold: THRESHOLD, dailyLimit: LIMIT },
      lag,
      audit: await auditChains(this.system.databaseUrl),
    });
  }
}

/** The system as the fault suite runs it: fast rebalances, on-demand treasury runs, big limits. */
export function faultSystem(replicas = 1): SystemRunner {
  return new SystemRunner({
    replicas,
    database: process.env.FAULTS_SHARED_POSTGRES === '1' ? 'fresh' : 'private',
    env: {
      TREASURY_RUN_INTERVAL_SECONDS: '0',
      TREASURY_DUAL_APPROVAL_THRESHOLD: 'NEAR=100,USDC=10000',
      TREASURY_DAILY_LIMIT: 'NEAR=1000000,USDC=1000000000',
      SETTLEMENT_KAFKA_SESSION_TIMEOUT_MS: '6000',
      RECONCILE_INTERVAL_SECONDS: '0',
    },
  });
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--trials <n>', 'trials in all (spread round-robin over the faults)', '5')
    .option('--payouts <n>', 'payouts per trial', '3')
    .option('--faults <list>', 'which faults (a,b,c,d,e; c needs FAULTS_ALLOW_PG_RESTART=1)')
    .option('--seed <n>', 'random seed', String(Date.now() % 1_000_000))
    .option('--replicas <n>', 'replicas per service', '1')
    .parse(process.argv);
  const opts = program.opts<{
    trials: string;
    payouts: string;
    faults?: string;
    seed: string;
    replicas: string;
  }>();
  const sharedPostgres = process.env.FAULTS_SHARED_POSTGRES === '1';
  const faults = (
    opts.faults ??
    (!sharedPostgres || process.env.FAULTS_ALLOW_PG_RESTART === '1' ? 'a,b,c,d,e' : 'a,b,d,e')
  ).split(',') as FaultKind[];
  const trials = Number(opts.trials);
  const seed = Number(opts.seed);
  console.log(
    `fault suite: ${trials} trial(s), ${opts.payouts} payouts each, faults ${faults.join(',')}, seed ${seed}` +
      (faults.includes('c')
        ? ''
        : ' (c skipped: set FAULTS_ALLOW_PG_RESTART=1 to restart PostgreSQL)'),
  );
  const system = faultSystem(Number(opts.replicas));
  const results: TrialResult[] = [];
  await system.start();
  try {
    const suite = new FaultSuite(system, random(seed));
    await suite.setUp();
    for (let trial = 1; trial <= trials; trial++) {
      const kind = faults[(trial - 1) % faults.length];
      let result: TrialResult;
      try {
        result = await suite.trial(trial, kind, Number(opts.payouts));
      } catch (error) {
        // The trial could not be completed or checked: a failure, never a silent pass.
        result = {
          trial,
          fault: kind,
          detail: 'aborted',
          payouts: Number(opts.payouts),
          seconds: 0,
          violations: [
            {
              kind: 'trial_aborted',
              detail: error instanceof Error ? error.message.slice(0, 500) : String(error),
            },
          ],
          flowErrors: [],
          crashes: [],
        };
      }
      results.push(result);
      console.log(
        `trial ${trial} (${kind}: ${result.detail}) ${result.payouts} payouts in ${result.seconds.toFixed(1)} s: ` +
          (result.violations.length === 0
            ? 'invariants hold'
            : `${result.violations.length} VIOLATION(S): ${result.violations.map((v) => `${v.kind} ${v.detail}`).join('; ')}`) +
          (result.flowErrors.length ? ` [flow retried: ${result.flowErrors.join(' | ')}]` : '') +
          (result.crashes.length
            ? ` [exited on their own, restarted: ${result.crashes.join(', ')}]`
            : ''),
      );
    }
  } finally {
    await system.stop();
  }
  const rows = faults.map((kind) => {
    const mine = results.filter((r) => r.fault === kind);
    const count = (k: string) =>
      mine.reduce((n, r) => n + r.violations.filter((v) => v.kind === k).length, 0);
    return {
      fault: `${kind} ${FAULT_NAMES[kind]}`,
      trials: mine.length,
      payouts: mine.reduce((n, r) => n + r.payouts, 0),
      double: count('double_payout'),
      lost: count('lost_payout'),
      violations: mine.reduce((n, r) => n + r.violations.length, 0),
      crashes: mine.reduce((n, r) => n + r.crashes.length, 0),
    };
  });
  console.log(
    '| fault | trials | payouts | double payouts | lost payouts | invariant violations | processes that exited on their own |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.fault} | ${r.trials} | ${r.payouts} | ${r.double} | ${r.lost} | ${r.violations} | ${r.crashes} |`,
    );
  }
  mkdirSync(join(ROOT, '.run'), { recursive: true });
  const file = join(ROOT, '.run', `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { seed, faults, results },
      (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
      2,
    ),
  );
  const failed = results.filter((r) => r.violations.length > 0).length;
  console.log(`results in ${file}`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
