/**
 * API throughput and latency through the gateway: a 50/50 mix of creates
 * (POST /v1/applications) and submits (POST /v1/applications/{id}/submit of the draft the same
 * connection just created), by signed-in founders.
 *   npm run bench:api
 *
 * Honest set-up: the gateway and the applications service run as separate child processes
 * (`node -r @swc-node/register services/<name>/src/main.ts`, NODE_ENV=production), on real
 * PostgreSQL and Kafka, with the NEAR JSON-RPC emulator (used for sign-in only) and autocannon in
 * this process. Every request makes the real hop gateway → applications; the applications service
 * runs its queue projection and Kafka relay while it serves.
 *
 * Env: BENCH_DATABASE_URL (default …/incubator_bench, dropped and created anew), KAFKA_BROKERS,
 * API_BENCH_SECONDS (20), API_BENCH_WARMUP_SECONDS (5), API_BENCH_CONNECTIONS (24),
 * API_BENCH_FOUNDERS (10), API_BENCH_TARGET (`gateway`, or `applications` to skip the gateway
 * hop), API_BENCH_IDEMPOTENCY (`1` sends an Idempotency-Key on every request), API_BENCH_LOG_LEVEL
 * (`info`, the services' default; logs go to files under the OS temp dir), API_BENCH_V8_PROFILE
 * (`1` writes V8 tick profiles of both services there), API_BENCH_CPU_PROFILE (`1` writes
 * `.cpuprofile` files of both services there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { KeyPairSigner } from 'near-api-js';
import { Client } from 'pg';
import { freePort, startNearEmulator } from '@lib/testing';
import { applicationBody } from '../../applications/test/fixtures';

const ROOT = resolve(__dirname, '../../..');
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_bench';
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const SECONDS = Number(process.env.API_BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.API_BENCH_WARMUP_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.API_BENCH_CONNECTIONS ?? 24);
const FOUNDERS = Number(process.env.API_BENCH_FOUNDERS ?? 10);
const TARGET = process.env.API_BENCH_TARGET === 'applications' ? 'applications' : 'gateway';
const IDEMPOTENCY = process.env.API_BENCH_IDEMPOTENCY === '1';
const LOG_LEVEL = process.env.API_BENCH_LOG_LEVEL ?? 'info';
/** `1`: V8 tick profiles of both services into the log dir (`node --prof-process <file>`). */
const V8_PROFILE = process.env.API_BENCH_V8_PROFILE === '1';
/** `1`: V8 CPU profiles (`.cpuprofile`, for Chrome DevTools) of both services into the log dir. */
const CPU_PROFILE = process.env.API_BENCH_CPU_PROFILE === '1';
const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;

const LOG_DIR = mkdtempSync(join(tmpdir(), 'api-bench-'));

/** A fresh database every run: no rows or migrations left over from earlier runs or code. */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new Client({ connectionString: url.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });
  await admin.connect();
  try {
    const quoted = `"${name.replace(/"/g, '""')}"`;
    await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoted}`);
  } finally {
    await admin.end();
  }
}

interface Service {
  name: string;
  url: string;
  child: ChildProcess;
}

async function startService(
  name: 'applications' | 'gateway',
  env: Record<string, string>,
): Promise<Service> {
  const port = await freePort();
  const log = createWriteStream(join(LOG_DIR, `${name}.log`));
  const child = spawn(
    process.execPath,
    [
      ...(V8_PROFILE
        ? ['--prof', '--no-logfile-per-isolate', `--logfile=${join(LOG_DIR, `${name}-v8.log`)}`]
        : []),
      ...(CPU_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${LOG_DIR}`, `--cpu-prof-name=${name}.cpuprofile`]
        : []),
      '-r',
      '@swc-node/register',
      `services/${name}/src/main.ts`,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL,
        KAFKA_BROKERS: BROKERS,
        LOG_LEVEL,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited (${child.exitCode}); see ${join(LOG_DIR, `${name}.log`)}`);
    }
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { name, url, child };
    if (Date.now() > deadline) throw new Error(`${name} not ready in time`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function stopService(service: Service): Promise<void> {
  if (service.child.exitCode !== null) return;
  const exited = new Promise((done) => service.child.once('exit', done));
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** Pids whose command name is `name` (e.g. every PostgreSQL backend), from /proc. */
function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
}

/** CPU seconds of every process named `name`; backends that come and go are counted while alive. */
function cpuSecondsNamed(name: string): Map<number, number> {
  return new Map(pidsNamed(name).map((pid) => [pid, cpuSeconds(pid)]));
}

function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) {
    if (!Number.isNaN(seconds)) total += seconds - (before.get(pid) ?? 0);
  }
  return total;
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const values = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function signInFounders(
  gateway: string,
  emulator: Awaited<ReturnType<typeof startNearEmulator>>,
  count: number,
): Promise<{ accountId: string; token: string }[]> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };
  const founders = [];
  for (let i = 0; i < count; i += 1) {
    const accountId = `bench-${randomBytes(5).toString('hex')}.test.near`;
    const { keyPair } = emulator.createAccount({ accountId, amount: 10n ** 24n });
    const challenge = await post('/v1/auth/near/challenge', { accountId });
    const signed = await new KeyPairSigner(keyPair).signNep413Message(accountId, {
      message: challenge.message,
      recipient: challenge.recipient,
      nonce: Buffer.from(challenge.nonce, 'base64'),
    });
    const { token } = await post('/v1/auth/near/verify', {
      accountId,
      publicKey: keyPair.getPublicKey().toString(),
      signature: Buffer.from(signed.signature).toString('base64'),
      nonce: challenge.nonce,
      message: challenge.message,
      recipient: challenge.recipient,
    });
    founders.push({ accountId, token });
  }
  return founders;
}

type Context = { founder?: number; id?: string };

/** Idempotency keys are unique across the warm-up and the measured run (one counter for both). */
let idempotencyKey = 0;

/** create → submit of that draft, per connection, forever: exactly half creates, half submits. */
function workload(founders: { accountId: string; token: string }[]): autocannon.Request[] {
  let next = 0;
  const bodies = founders.map((f) => JSON.stringify(applicationBody(f.accountId)));
  const headers = (token: string) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    ...(IDEMPOTENCY ? { 'idempotency-key': `bench-${process.pid}-${(idempotencyKey += 1)}` } : {}),
  });
  return [
    {
      method: 'POST',
      path: '/v1/applications',
      setupRequest: (request, context: Context) => {
        context.founder = next++ % founders.length;
        return {
          ...request,
          headers: headers(founders[context.founder].token),
          body: bodies[context.founder],
        };
      },
      onResponse: (status, _body, context: Context, responseHeaders) => {
        const location = responseHeaders?.location;
        context.id = status === 201 && location ? location.split('/').pop() : undefined;
      },
    },
    {
      method: 'POST',
      setupRequest: (request, context: Context) => ({
        ...request,
        // A failed create still sends a submit (to a missing draft): it shows up as non-2xx.
        path: `/v1/applications/${context.id ?? randomUUID()}/submit`,
        headers: headers(founders[context.founder ?? 0].token),
        body: undefined,
      }),
    },
  ];
}

function run(url: string, requests: autocannon.Request[], seconds: number) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    requests,
  });
}

async function main(): Promise<void> {
  const node = process.version;
  process.stdout.write(
    `api bench: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${node}; ` +
      `target ${TARGET}, ${CONNECTIONS} connections, ${WARMUP_SECONDS}s warm-up + ${SECONDS}s, ` +
      `idempotency keys ${IDEMPOTENCY ? 'on' : 'off'}, LOG_LEVEL ${LOG_LEVEL}; logs in ${LOG_DIR}\n`,
  );
  await ensureDatabase(DATABASE_URL);
  const emulator = await startNearEmulator();
  const services: Service[] = [];
  try {
    const applications = await startService('applications', {
      AUTH_JWT_SECRET: JWT_SECRET,
      NEAR_NETWORK: 'local',
      NEAR_RPC_URL: emulator.url,
    });
    services.push(applications);
    const gateway = await startService('gateway', {
      APPLICATIONS_URL: applications.url,
      RATE_LIMIT_PER_SECOND: '0',
    });
    services.push(gateway);

    const founders = await signInFounders(gateway.url, emulator, FOUNDERS);
    const target = TARGET === 'gateway' ? gateway.url : applications.url;

    await run(target, workload(founders), WARMUP_SECONDS);

    const cpuBefore = services.map((s) => cpuSeconds(s.child.pid));
    const benchBefore = process.cpuUsage();
    const postgresBefore = cpuSecondsNamed('postgres');
    const kafkaBefore = cpuSecondsNamed('java');
    const machineBefore = machineCpu();
    const result = await run(target, workload(founders), SECONDS);
    const machineAfter = machineCpu();
    const postgresCores = cpuDelta(postgresBefore, cpuSecondsNamed('postgres')) / result.duration;
    const kafkaCores = cpuDelta(kafkaBefore, cpuSecondsNamed('java')) / result.duration;
    const benchCpu = process.cpuUsage(benchBefore);
    const cpu = services.map((s, i) => ({
      process: s.name,
      cores: (cpuSeconds(s.child.pid) - cpuBefore[i]) / result.duration,
    }));
    cpu.push({
      process: 'bench (autocannon + emulator)',
      cores: (benchCpu.user + benchCpu.system) / 1e6 / result.duration,
    });
    cpu.push({ process: 'postgres (every backend, other clients too)', cores: postgresCores });
    cpu.push({ process: 'java (Kafka broker)', cores: kafkaCores });
    const machineBusy =
      (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);

    const summary = {
      date: new Date().toISOString(),
      target: TARGET,
      connections: CONNECTIONS,
      seconds: result.duration,
      idempotencyKeys: IDEMPOTENCY,
      logLevel: LOG_LEVEL,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: Math.round(result.latency.mean * 10) / 10,
      },
      '2xx': result['2xx'],
      non2xx: result.non2xx,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([code, stat]) => [code, stat.count]),
      ),
      errors: result.errors,
      timeouts: result.timeouts,
      cpuCores: Object.fromEntries(cpu.map((c) => [c.process, Math.round(c.cores * 100) / 100])),
      machineBusy: `${Math.round(machineBusy * 100)}% of ${cpus().length} cores`,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    const met = summary.requestsPerSecond >= 500 && summary.latencyMs.p99 < 100;
    process.stdout.write(`target ≥ 500 req/s with p99 < 100 ms: ${met ? 'met' : 'missed'}\n`);
  } finally {
    for (const service of services.reverse()) await stopService(service);
    await emulator.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`api bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
