import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: { dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** `${NAME:-default}` as compose would resolve it with an empty shell environment. */
const resolve = (value: string | number) =>
  String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, (_match, fallback: string) => fallback);

const serviceNames = readdirSync(join(root, 'services'));

describe('docker-compose.yml', () => {
  it('runs every service in services/', () => {
    expect(serviceNames.length).toBeGreaterThanOrEqual(6);
    for (const name of serviceNames) expect(Object.keys(compose.services)).toContain(name);
  });

  it.each(serviceNames)('%s: built from deploy/Dockerfile, started from its main.ts', (name) => {
    const service = compose.services[name];
    expect(service.build?.dockerfile).toBe('deploy/Dockerfile');
    expect(service.command?.join(' ')).toContain(`services/${name}/src/main.ts`);
  });

  it.each(serviceNames)(
    '%s: its environment satisfies its config and its port is published',
    async (name) => {
      const service = compose.services[name];
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, resolve(value)]),
      );
      const { loadConfig } = (await import(join(root, 'services', name, 'src', 'config'))) as {
        loadConfig: (env: NodeJS.ProcessEnv) => { PORT: number; KAFKA_BROKERS: string[] };
      };
      const config = loadConfig(env);
      expect(service.ports).toContain(`127.0.0.1:${config.PORT}:${config.PORT}`);
      expect(config.KAFKA_BROKERS).toEqual(['kafka:9092']);
      // The local default port is the same as in compose, so both setups agree on URLs.
      const { PORT: _port, ...withoutPort } = env;
      expect(loadConfig(withoutPort).PORT).toBe(config.PORT);
    },
  );

  it('publishes every port on 127.0.0.1 only (the emulator, Postgres and Kafka included)', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => [name, String(port)] as const),
    );
    expect(published.length).toBeGreaterThanOrEqual(serviceNames.length + 3);
    for (const [name, port] of published) {
      expect([name, port]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/)]);
    }
  });

  it.each(serviceNames)(
    '%s: runs in development mode, which production guards never accept',
    (name) => {
      expect(resolve(compose.services[name].environment?.NODE_ENV ?? '')).toBe('development');
    },
  );

  // The gateway holds no secret and no NEAR settings; every other service does.
  it.each(serviceNames.filter((name) => name !== 'gateway'))(
    '%s: the same environment with NODE_ENV=production would refuse to start',
    async (name) => {
      const env = Object.fromEntries(
        Object.entries(compose.services[name].environment ?? {}).map(([k, v]) => [k, resolve(v)]),
      );
      const { loadConfig } = (await import(join(root, 'services', name, 'src', 'config'))) as {
        loadConfig: (env: NodeJS.ProcessEnv) => unknown;
      };
      expect(() => loadConfig({ ...env, NODE_ENV: 'production' })).toThrow(/NODE_ENV=production/);
    },
  );

  it('runs the same Kafka version as the local script and PostgreSQL 16', () => {
    const script = readFileSync(join(root, 'deploy/local/kafka.sh'), 'utf8');
    const pom = readFileSync(join(root, 'deploy/local/kafka/pom.xml'), 'utf8');
    const localVersion = /KAFKA_VERSION="([^"]+)"/.exec(script)?.[1];
    expect(compose.services.kafka.image).toBe(`apache/kafka:${localVersion}`);
    expect(pom).toContain(`<kafka.version>${localVersion}</kafka.version>`);
    expect(compose.services.postgres.image).toBe('postgres:16');
  });
});
