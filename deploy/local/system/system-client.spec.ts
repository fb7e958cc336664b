import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemClient } from './system-client';

/** A stand-in gateway that answers from a script, recording what each request carried. */
async function scriptedGateway(
  answers: { status: number; headers?: Record<string, string>; body: unknown }[],
): Promise<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    const answer = answers[Math.min(seen.length, answers.length) - 1];
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('SystemClient.call', () => {
  let gateway: Awaited<ReturnType<typeof scriptedGateway>> | undefined;
  afterEach(
    () =>
      new Promise<void>((resolve) => (gateway ? gateway.server.close(() => resolve()) : resolve())),
  );

  const client = () => new SystemClient({ gatewayUrl: gateway!.url, emulatorUrl: 'unused' });

  it('waits out a claim held under its Idempotency-Key and asks again with the same key', async () => {
    gateway = await scriptedGateway([
      { status: 409, headers: { 'retry-after': '1' }, body: { code: 'idempotency_key_in_use' } },
      { status: 201, body: { ok: true } },
    ]);
    const started = Date.now();
    const result = await client().call('POST', '/v1/x', undefined, { body: {}, expect: 201 });
    expect(result.body).toEqual({ ok: true });
    expect(gateway.seen).toHaveLength(2);
    expect(gateway.seen[1]['idempotency-key']).toBe(gateway.seen[0]['idempotency-key']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // it honoured Retry-After
  });

  it('does not retry any other 409', async () => {
    gateway = await scriptedGateway([{ status: 409, body: { code: 'version_conflict' } }]);
    await expect(
      client().call('POST', '/v1/x', undefined, { body: {}, expect: 201 }),
    ).rejects.toThrow('expected 201, got 409');
    expect(gateway.seen).toHaveLength(1);
  });

  it('retries 503 with the same key', async () => {
    gateway = await scriptedGateway([
      { status: 503, body: { code: 'database_unavailable' } },
      { status: 200, body: { ok: 1 } },
    ]);
    await client().call('POST', '/v1/x', undefined, { body: {}, expect: 200 });
    expect(gateway.seen).toHaveLength(2);
    expect(gateway.seen[1]['idempotency-key']).toBe(gateway.seen[0]['idempotency-key']);
  });
});
