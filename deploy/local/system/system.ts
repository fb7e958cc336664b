/**
 * The whole system as separate OS processes on one machine: the NEAR emulator, N replicas of every
 * backend service, and the gateway spreading requests over the replicas. Each service runs as it
 * does in production (`node -r @swc-node/register services/<svc>/src/main.ts`) with its own PORT,
 * the same DATABASE_URL and KAFKA_BROKERS; by default on a fresh database and a private Kafka
 * broker (own ports and state dir), so nothing here touches the shared ones and a fault test may
 * restart the broker.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyPair } from 'near-api-js';
import { Client } from 'pg';
import { TOPICS } from '@lib/contracts';
import { createKafka, ensureTopics } from '@lib/messaging';
import { freePort } from '@lib/testing';

const exec = promisify(execFile);

export const ROOT = join(__dirname, '..', '..', '..');

/** The backend services in start order (consumers after producers does not matter: groups wait). */
export const BACKEND_SERVICES = [
  'applications',
  'grants',
  'milestones',
  'disbursements',
  'near-settlement',
] as const;
export type BackendService = (typeof BACKEND_SERVICES)[number];
export type ServiceName = BackendService | 'gateway';

/** Which gateway variable carries the base URL list of each backend service. */
export const GATEWAY_UPSTREAM_VARIABLE: Record<BackendService, string> = {
  applications: 'APPLICATIONS_URL',
  grants: 'GRANTS_URL',
  milestones: 'MILESTONES_URL',
  disbursements: 'DISBURSEMENTS_URL',
  'near-settlement': 'SETTLEMENT_URL',
};

/** Development secret for staff tokens; the system's tests mint tokens with it. */
export const SYSTEM_JWT_SECRET = 'system-runner-secret-0123456789-0123456789-abcdef';

export interface SystemOptions {
  /** Replicas of each backend service; default 1. The gateway runs once. */
  replicas?: number;
  /** Backend services to run; default all of {@link BACKEND_SERVICES}. */
  services?: readonly BackendService[];
  /** Run the gateway; default true. */
  gateway?: boolean;
  /** `private` (default): a broker of our own on free ports; or the brokers of a running one. */
  kafka?: 'private' | { brokers: string };
  /**
   * `fresh` (default): a new database on the shared server (SYSTEM_DATABASE_URL or local), dropped
   * on stop; `private`: a PostgreSQL server of our own (initdb in /tmp, own port, 400
   * connections), which a fault test may restart; or the URL of an existing database.
   */
  database?: 'fresh' | 'private' | { url: string };
  /** Block time of the emulator in ms; default 200. */
  blockMs?: number;
  /** Extra variables for every service process (after the runner's own). */
  env?: Record<string, string>;
  /** Extra variables per service. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Where each process's output goes; default `.run/system-<id>/`. */
  logDir?: string;
  /** Per process; default 120 s (2 shared cores compile TypeScript at start). */
  readyTimeoutMs?: number;
  /**
   * Restart a service process that exits without being asked to (as Kubernetes' restartPolicy
   * Always does); each such exit is counted in `crashes`. Default true.
   */
  supervise?: boolean;
}

/** One supervised OS process. */
export interface ManagedProcess {
  service: ServiceName | 'near-emulator';
  replica: number;
  port: number;
  url: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  logFile: string;
  /** Set while the runner itself stops the process (kill, restart, stop). */
  stopping?: boolean;
  /** Exits the runner did not ask for (each was restarted, as a supervisor would). */
  crashes: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every live runner, so a dying test process still kills what it started. */
const live = new Set<SystemRunner>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const runner of live) runner.killAllNow();
  });
}

/**
 * Starts and supervises the system. `start()` → `waitReady()` is done by start; `kill` /
 * `restart` a replica (or the broker) mid-flow; `stop()` leaves no process behind.
 */
export class SystemRunner {
  readonly id = randomBytes(4).toString('hex');
  readonly options: Required<Omit<SystemOptions, 'kafka' | 'database' | 'serviceEnv' | 'env'>> &
    SystemOptions;
  readonly logDir: string;
  /** The treasury's key: the emulator funds it, near-settlement signs with it. */
  readonly treasury = {
    accountId: 'treasury.test.near',
    keyPair: KeyPair.fromRandom('ed25519'),
  };
  readonly usdcContract = 'usdc.test.near';
  /** One founder-token signing key for every applications replica (a token from one verifies at all). */
  readonly founderSigningKey = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  databaseUrl = '';
  brokers = '';
  private ownDatabase?: string;
  private ownKafka?: { port: number; controllerPort: number; stateDir: string };
  private ownPostgres?: { port: number; dataDir: string; binDir: string };
  private readonly processes = new Map<string, ManagedProcess>();

  constructor(options: SystemOptions = {}) {
    this.options = {
      replicas: 1,
      services: BACKEND_SERVICES,
      gateway: true,
      blockMs: 200,
      logDir: join(ROOT, '.run', `system-${this.id}`),
      readyTimeoutMs: 120_000,
      supervise: true,
      ...options,
    };
    this.logDir = this.options.logDir;
  }

  /** Base URL of the gateway (or of one replica). */
  get gatewayUrl(): string {
    return this.process('gateway', 0).url;
  }

  get emulatorUrl(): string {
    return this.process('near-emulator', 0).url;
  }

  url(service: ServiceName, replica = 0): string {
    return this.process(service, replica).url;
  }

  /** Every supervised process, with whether it is alive. */
  list(): (ManagedProcess & { alive: boolean; pid?: number })[] {
    return [...this.processes.values()].map((p) => ({
      ...p,
      alive: isAlive(p),
      pid: p.child?.pid,
    }));
  }

  /** Database, broker, emulator, every replica, the gateway; resolves when all are ready. */
  async start(): Promise<void> {
    live.add(this);
    installExitHook();
    mkdirSync(this.logDir, { recursive: true });
    try {
      await this.startDatabase();
      await this.startKafka();
      // As a deployment would (Strimzi KafkaTopic): on a brand-new broker, services racing to
      // create the same topics can see a topic before its partitions exist and fail to start.
      await ensureTopics(
        createKafka({ clientId: 'system-runner', brokers: this.brokers.split(',') }),
        Object.values(TOPICS),
      );
      await this.startEmulator();
      const backends: ManagedProcess[] = [];
      for (const service of this.options.services) {
        for (let replica = 0; replica < this.options.replicas; replica++) {
          backends.push(await this.define(service, replica));
        }
      }
      // Migrations take an advisory lock per schema; starting replicas together is safe.
      for (const p of backends) this.spawn(p);
      await Promise.all(backends.map((p) => this.waitReady(p.service, p.replica)));
      if (this.options.gateway) {
        const gateway = await this.define('gateway', 0);
        this.spawn(gateway);
        await this.waitReady('gateway', 0);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Resolves when `/health/ready` of that process answers 200 (or every process, without args). */
  async waitReady(service?: ServiceName | 'near-emulator', replica = 0): Promise<void> {
    if (service === undefined) {
      // Every process that should be running; one killed on purpose to stay down is not waited for.
      await Promise.all(
        [...this.processes.values()]
          .filter((p) => isAlive(p) || !p.stopping)
          .map((p) => this.waitReady(p.service, p.replica)),
      );
      return;
    }
    const p = this.process(service, replica);
    const deadline = Date.now() + this.options.readyTimeoutMs;
    for (;;) {
      // A supervised process that crashed is being restarted: keep waiting for it.
      if (!isAlive(p) && (p.stopping || !this.options.supervise || p.service === 'near-emulator')) {
        throw new Error(
          `${p.service}#${p.replica} exited before it was ready; last lines of ${p.logFile}:\n${tail(p.logFile)}`,
        );
      }
      if (await (p.service === 'near-emulator' ? rpcAnswers(p.url) : healthReady(p.url))) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${p.service}#${p.replica} not ready in ${this.options.readyTimeoutMs} ms; see ${p.logFile}:\n${tail(p.logFile)}`,
        );
      }
      await sleep(250);
    }
  }

  /** Sends `signal` (default SIGKILL) to one replica and waits until it has exited. */
  async kill(
    service: ServiceName | 'near-emulator',
    replica = 0,
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<void> {
    const p = this.process(service, replica);
    if (!isAlive(p)) return;
    p.stopping = true;
    p.child!.kill(signal);
    await p.exited;
  }

  /** Kills (if alive) and starts the replica again on the same port; resolves when ready. */
  async restart(
    service: ServiceName | 'near-emulator',
    replica = 0,
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<void> {
    if (service === 'near-emulator') {
      throw new Error('the emulator keeps its chain in memory: restarting it loses the chain');
    }
    await this.kill(service, replica, signal);
    this.spawn(this.process(service, replica));
    await this.waitReady(service, replica);
  }

  /** Stops and starts the private broker (same state dir: topics and offsets survive). */
  async restartKafka(downMs = 0): Promise<void> {
    if (!this.ownKafka) throw new Error('only a private broker can be restarted');
    await this.kafkaScript('stop');
    if (downMs > 0) await sleep(downMs);
    try {
      await this.kafkaScript('start');
    } catch {
      // Under load the script's readiness wait can give up on a broker that is still starting;
      // `start` again is idempotent (it waits for the running broker).
      await this.kafkaScript('start');
    }
  }

  /** Stops every process (SIGTERM, then SIGKILL after 10 s), the private broker, the database. */
  async stop(): Promise<void> {
    for (const p of this.processes.values()) p.stopping = true;
    const all = [...this.processes.values()].filter(isAlive);
    // Gateway first, then services, then the emulator.
    const order = (p: ManagedProcess) =>
      p.service === 'gateway' ? 0 : p.service === 'near-emulator' ? 2 : 1;
    for (const rank of [0, 1, 2]) {
      await Promise.all(all.filter((p) => order(p) === rank).map((p) => this.terminate(p, 10_000)));
    }
    if (this.ownKafka) {
      await this.kafkaScript('stop').catch(() => undefined);
      rmSync(this.ownKafka.stateDir, { recursive: true, force: true });
      this.ownKafka = undefined;
    }
    if (this.ownDatabase) {
      const admin = new Client({ connectionString: adminUrl(this.databaseUrl) });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${this.ownDatabase}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      this.ownDatabase = undefined;
    }
    if (this.ownPostgres) {
      await this.pgCtl('stop', 'immediate').catch(() => undefined);
      rmSync(this.ownPostgres.dataDir, { recursive: true, force: true });
      this.ownPostgres = undefined;
    }
    live.delete(this);
  }

  /** Synchronous last resort (process exit): SIGKILL every child and the private broker. */
  killAllNow(): void {
    for (const p of this.processes.values()) {
      if (isAlive(p)) p.child!.kill('SIGKILL');
    }
    if (this.ownPostgres) {
      try {
        const pid = Number(
          readFileSync(join(this.ownPostgres.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
        );
        process.kill(pid, 'SIGQUIT'); // immediate shutdown of the private server
      } catch {
        // not running
      }
    }
    if (this.ownKafka) {
      const pidFile = join(this.ownKafka.stateDir, 'broker.pid');
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      } catch {
        // not running
      }
    }
  }

  /** The environment every service process gets (the runner's single place for it). */
  serviceEnvironment(service: ServiceName, port: number): Record<string, string> {
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      PORT: String(port),
      DATABASE_URL: this.databaseUrl,
      KAFKA_BROKERS: this.brokers,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: SYSTEM_JWT_SECRET,
      NEAR_NETWORK: 'local',
      NEAR_EMULATOR_URL: this.emulatorUrl,
      NEAR_RPC_URL: this.emulatorUrl,
      NEAR_TREASURY_ACCOUNT_ID: this.treasury.accountId,
      NEAR_TREASURY_SECRET_KEY: this.treasury.keyPair.toString(),
      NEAR_LOCAL_USDC_CONTRACT_ID: this.usdcContract,
      RATE_LIMIT_PER_SECOND: '0',
      // Every test founder signs in from 127.0.0.1: the per-address limit would stop long runs.
      SIGNIN_CHALLENGES_PER_ADDRESS: '1000000',
      FOUNDER_SIGNING_KEY: this.founderSigningKey,
      // Every replica serves the same key; jose caches the set, so a dead replica 0 is survivable.
      ...(this.processes.has('applications#0')
        ? { AUTH_FOUNDER_JWKS_URL: `${this.url('applications', 0)}/.well-known/jwks.json` }
        : {}),
      ...this.options.env,
      ...this.options.serviceEnv?.[service],
    };
    if (service === 'gateway') {
      for (const backend of this.options.services) {
        env[GATEWAY_UPSTREAM_VARIABLE[backend]] = this.replicaUrls(backend).join(',');
      }
    }
    return env;
  }

  /** Base URLs of every replica of a backend service. */
  replicaUrls(service: BackendService): string[] {
    return [...this.processes.values()]
      .filter((p) => p.service === service)
      .sort((a, b) => a.replica - b.replica)
      .map((p) => p.url);
  }

  private process(service: ServiceName | 'near-emulator', replica: number): ManagedProcess {
    const p = this.processes.get(`${service}#${replica}`);
    if (!p) throw new Error(`no process ${service}#${replica} in this system`);
    return p;
  }

  private async define(
    service: ServiceName | 'near-emulator',
    replica: number,
  ): Promise<ManagedProcess> {
    const port = await freePort();
    const p: ManagedProcess = {
      service,
      replica,
      port,
      url: `http://127.0.0.1:${port}`,
      logFile: join(this.logDir, `${service}-${replica}.log`),
      crashes: 0,
    };
    this.processes.set(`${service}#${replica}`, p);
    return p;
  }

  private spawn(p: ManagedProcess): void {
    const script =
      p.service === 'near-emulator'
        ? 'libs/testing/src/near-emulator/main.ts'
        : `services/${p.service}/src/main.ts`;
    const env =
      p.service === 'near-emulator'
        ? this.emulatorEnvironment(p.port)
        : this.serviceEnvironment(p.service, p.port);
    const log = createWriteStream(p.logFile, { flags: 'a' });
    log.write(`--- start ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    p.child = child;
    p.stopping = false;
    p.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        log.end(`--- exit code=${code} signal=${signal} ${new Date().toISOString()}\n`);
        resolve();
        if (
          !p.stopping &&
          this.options.supervise &&
          p.service !== 'near-emulator' &&
          live.has(this)
        ) {
          p.crashes++;
          setTimeout(() => {
            if (!isAlive(p) && !p.stopping && live.has(this)) this.spawn(p);
          }, 500).unref();
        }
      });
    });
  }

  private emulatorEnvironment(port: number): Record<string, string> {
    return {
      NEAR_EMULATOR_HOST: '127.0.0.1',
      NEAR_EMULATOR_PORT: String(port),
      NEAR_EMULATOR_BLOCK_MS: String(this.options.blockMs),
      NEAR_TREASURY_ACCOUNT_ID: this.treasury.accountId,
      NEAR_TREASURY_SECRET_KEY: this.treasury.keyPair.toString(),
      NEAR_LOCAL_USDC_CONTRACT_ID: this.usdcContract,
      NEAR_TREASURY_BALANCE_NEAR: '10000000',
      NEAR_TREASURY_USDC: '100000000',
    };
  }

  private async terminate(p: ManagedProcess, graceMs: number): Promise<void> {
    p.stopping = true;
    if (!isAlive(p)) return;
    p.child!.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (isAlive(p)) p.child!.kill('SIGKILL');
    }, graceMs);
    await p.exited;
    clearTimeout(timer);
  }

  private async startDatabase(): Promise<void> {
    if (this.options.database && typeof this.options.database === 'object') {
      this.databaseUrl = this.options.database.url;
      return;
    }
    let base = process.env.SYSTEM_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    if (this.options.database === 'private') {
      const versions = (await exec('ls', ['/usr/lib/postgresql'])).stdout
        .split(/\s+/)
        .filter(Boolean);
      const version = versions.sort((a, b) => Number(a) - Number(b)).pop();
      if (!version) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
      this.ownPostgres = {
        port: await freePort(),
        dataDir: join('/tmp', `incubator-system-pg-${this.id}`),
        binDir: `/usr/lib/postgresql/${version}/bin`,
      };
      mkdirSync(this.ownPostgres.dataDir, { recursive: true, mode: 0o700 });
      if (process.getuid?.() === 0)
        await exec('chown', ['postgres:postgres', this.ownPostgres.dataDir]);
      await this.pgTool('initdb', [
        '-D',
        this.ownPostgres.dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--no-sync',
      ]);
      await this.pgCtl('start');
      base = `postgres://postgres@127.0.0.1:${this.ownPostgres.port}/postgres`;
    }
    const name = `incubator_system_${this.id}`;
    const admin = new Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    this.ownDatabase = name;
    const url = new URL(base);
    url.pathname = `/${name}`;
    this.databaseUrl = url.toString();
  }

  /** Restarts the private PostgreSQL server (`fast`: clean shutdown; `immediate`: like a crash). */
  async restartPostgres(mode: 'fast' | 'immediate' = 'fast', downMs = 0): Promise<void> {
    if (!this.ownPostgres) throw new Error('only a private PostgreSQL server can be restarted');
    await this.pgCtl('stop', mode);
    if (downMs > 0) await sleep(downMs);
    await this.pgCtl('start');
  }

  get hasPrivatePostgres(): boolean {
    return this.ownPostgres !== undefined;
  }

  private async pgCtl(
    command: 'start' | 'stop',
    mode: 'fast' | 'immediate' = 'fast',
  ): Promise<void> {
    const pg = this.ownPostgres!;
    const args =
      command === 'start'
        ? [
            '-D',
            pg.dataDir,
            '-w',
            '-t',
            '120',
            '-l',
            join(pg.dataDir, 'server.log'),
            '-o',
            `-p ${pg.port} -k ${pg.dataDir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB`,
            'start',
          ]
        : ['-D', pg.dataDir, '-w', '-t', '120', '-m', mode, 'stop'];
    await this.pgTool('pg_ctl', args);
  }

  private async pgTool(tool: string, args: string[]): Promise<void> {
    const pg = this.ownPostgres!;
    const binary = join(pg.binDir, tool);
    // initdb and the server refuse to run as root.
    if (process.getuid?.() === 0)
      await exec('runuser', ['-u', 'postgres', '--', binary, ...args], { timeout: 180_000 });
    else await exec(binary, args, { timeout: 180_000 });
  }

  private async startKafka(): Promise<void> {
    if (this.options.kafka && this.options.kafka !== 'private') {
      this.brokers = this.options.kafka.brokers;
      return;
    }
    this.ownKafka = {
      port: await freePort(),
      controllerPort: await freePort(),
      stateDir: join('/tmp', `incubator-system-kafka-${this.id}`),
    };
    this.brokers = `127.0.0.1:${this.ownKafka.port}`;
    await this.kafkaScript('start');
  }

  private async kafkaScript(command: 'start' | 'stop'): Promise<void> {
    const kafka = this.ownKafka!;
    await exec('bash', [join(ROOT, 'deploy/local/kafka.sh'), command], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_PORT: String(kafka.port),
        KAFKA_CONTROLLER_PORT: String(kafka.controllerPort),
        KAFKA_STATE_DIR: kafka.stateDir,
      },
      timeout: 180_000,
    });
  }

  private async startEmulator(): Promise<void> {
    const emulator = await this.define('near-emulator', 0);
    this.spawn(emulator);
    await this.waitReady('near-emulator', 0);
  }
}

function isAlive(p: ManagedProcess): boolean {
  return !!p.child && p.child.exitCode === null && p.child.signalCode === null;
}

function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function healthReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'ready', method: 'status', params: [] }),
      signal: AbortSignal.timeout(3000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
