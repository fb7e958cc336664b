import { createServer, type Server, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { startGateway } from './harness';

const broker = (process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0];

/** A TCP relay in front of the broker that counts the connections opened through it. */
async function countingRelay(
  target: string,
): Promise<{ server: Server; port: number; opened: () => number }> {
  const [host, port] = target.split(':');
  let opened = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    opened += 1;
    const upstream = connect(Number(port), host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, opened: () => opened };
}

async function listenGateway(
  kafkaBrokers: string,
): Promise<{ app: INestApplication; url: string }> {
  const app = await startGateway({ KAFKA_BROKERS: kafkaBrokers });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/health/ready` };
}

/** `total` anonymous GETs, `concurrency` at a time; returns every status and body text. */
async function hammer(url: string, total: number, concurrency: number) {
  const answers: { status: number; body: string }[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        sent += 1;
        const response = await fetch(url);
        answers.push({ status: response.status, body: await response.text() });
      }
    }),
  );
  return answers;
}

// Words that would mean internals leaked: hosts, ports, error text, stack frames.
const INTERNAL =
  /127\.0\.0\.1|localhost|:\d{2,5}\b|ECONN|connect|timeout|error:|at \w+ \(|broker\b/i;

describe('GET /health/ready through the gateway', () => {
  it('1,000 anonymous calls share a few readiness computations and show no internals', async () => {
    const relay = await countingRelay(broker);
    const { app, url } = await listenGateway(`127.0.0.1:${relay.port}`);
    try {
      const answers = await hammer(url, 1000, 20);
      expect(answers).toHaveLength(1000);
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
      for (const body of new Set(answers.map((a) => a.body))) {
        expect(JSON.parse(body)).toEqual({
          status: 'ok',
          details: { postgres: { status: 'up' }, kafka: { status: 'up' } },
        });
        expect(body).not.toMatch(INTERNAL);
      }
      // Readiness is computed at most once a second, each time with one short-lived admin.
      const connections = relay.opened();
      process.stdout.write(`readiness: 1000 calls opened ${connections} Kafka connection(s)\n`);
      expect(connections).toBeGreaterThanOrEqual(1);
      expect(connections).toBeLessThanOrEqual(10);
    } finally {
      await app.close();
      await new Promise((resolve) => relay.server.close(resolve));
    }
  }, 120_000);

  it('when Kafka is unreachable answers 503 with up/down only, no host or error text', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const { app, url } = await listenGateway(`127.0.0.1:${port}`);
    try {
      const answers = await hammer(url, 50, 10);
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([503]));
      for (const body of new Set(answers.map((a) => a.body))) {
        expect(JSON.parse(body)).toEqual({
          status: 'error',
          details: { postgres: { status: 'up' }, kafka: { status: 'down' } },
        });
        expect(body).not.toMatch(INTERNAL);
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});
