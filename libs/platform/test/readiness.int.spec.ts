import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type INestApplication, Module } from '@nestjs/common';
import request from 'supertest';
import { createPool, createServiceApp, parseConfig, PlatformModule } from '@lib/platform';

const run = promisify(execFile);
const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';
const script = resolve(__dirname, '../../../deploy/local/kafka.sh');

/**
 * A second, private broker on other ports, driven by the project's own script: the test may stop
 * it without disturbing the shared broker other tests use.
 */
describe('readiness follows the broker; the Kafka script is idempotent and leaves nothing behind', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kafka-readiness-'));
  const env = {
    ...process.env,
    KAFKA_PORT: '19192',
    KAFKA_CONTROLLER_PORT: '19193',
    KAFKA_STATE_DIR: stateDir,
  };
  const kafkaSh = (command: string) => run('bash', [script, command], { env, timeout: 180_000 });
  const schema = `ready_${randomBytes(4).toString('hex')}`;
  let app: INestApplication;

  beforeAll(async () => {
    await kafkaSh('start');
    const config = parseConfig(
      {},
      {
        KAFKA_BROKERS: '127.0.0.1:19192',
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'silent',
      },
    );
    @Module({ imports: [PlatformModule.forService({ name: 'readiness-test', schema, config })] })
    class ProbeModule {}
    app = await createServiceApp(ProbeModule, { quiet: true });
    await app.init();
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    const pool = createPool(databaseUrl, 'readiness-cleanup');
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    await kafkaSh('stop').catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  const ready = () => request(app.getHttpServer()).get('/health/ready');

  it('starting twice is harmless', async () => {
    const pid = readFileSync(join(stateDir, 'broker.pid'), 'utf8').trim();
    const second = await kafkaSh('start');
    expect(second.stderr).toContain('already running');
    expect(readFileSync(join(stateDir, 'broker.pid'), 'utf8').trim()).toBe(pid);
  }, 60_000);

  it('is 200 with the broker up, 503 with it down, 200 again after restart', async () => {
    const up = await ready();
    expect(up.status).toBe(200);
    expect(up.body.details.kafka.status).toBe('up');
    expect(up.body.details.postgres.status).toBe('up');

    await kafkaSh('stop');
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.details.kafka.status).toBe('down');

    await kafkaSh('start');
    const again = await ready();
    expect(again.status).toBe(200);
  }, 240_000);

  it('stop leaves no broker process behind', async () => {
    await kafkaSh('stop');
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(stateDir))).toEqual([]);
    await kafkaSh('start'); // afterAll stops it again
  }, 240_000);
});
