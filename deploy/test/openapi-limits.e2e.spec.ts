import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAssetRegistry } from '@lib/near';
import { type LimitCase, limitCases } from '@lib/testing';
import { SystemRunner } from '../local/system/system';
import { SystemClient } from '../local/system/system-client';

/**
 * The document and the validation cannot drift, for every service: each request field the
 * document gives a limit (maxLength, pattern, enum, an asset's decimals, maxItems, maximum,
 * minimum) is sent one step past it through the gateway of the whole system (every service its
 * own process), and the answer must be a 400/422 naming that field. The applications routes are
 * walked in-process by services/gateway/test/openapi.e2e.spec.ts; this walks all the others.
 */
// The checked-in document (its drift test keeps it equal to what the services generate); the
// first test checks that the running gateway serves exactly this.
const openApiDocument = JSON.parse(
  readFileSync(join(__dirname, '../../services/gateway/openapi.json'), 'utf8'),
) as Record<string, unknown>;

describe('every documented limit of grants, milestones, disbursements and the treasury is enforced', () => {
  let system: SystemRunner;
  let client: SystemClient;
  let tokens: string[];
  const assets = createAssetRegistry({ network: 'local', localUsdcContractId: 'usdc.test.near' });
  const cases = limitCases(openApiDocument as never, {
    decimals: (asset) => assets.find(asset)?.decimals,
    paths: /^\/v1\/(?!applications|auth)/,
    // Valid ids of the right shape, for aggregates that do not exist: validation answers first.
    pathParam: (name, path) => {
      if (name === 'n') return '1';
      if (name === 'service') return 'grants';
      return path.startsWith('/v1/disbursements/') ? `${randomUUID()}-1` : undefined;
    },
  });

  beforeAll(async () => {
    system = new SystemRunner({ env: { TREASURY_RUN_INTERVAL_SECONDS: '0' } });
    await system.start();
    client = new SystemClient(system);
    const founder = await client.signInFounder();
    const staff = await client.staffToken(`staff-${randomUUID().slice(0, 8)}`, [
      'reviewer',
      'admin',
      'treasurer',
    ]);
    tokens = [founder.token, staff];
  }, 420_000);

  afterAll(async () => {
    await system?.stop();
  }, 120_000);

  const send = (c: LimitCase, token: string | undefined, body: unknown, broken: boolean) => {
    const query = broken && c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
    return client.call(c.method.toUpperCase(), `${c.url}${query}`, token, {
      body: c.method === 'get' ? undefined : (body ?? {}),
      // Lower-case, so a broken header replaces the client's own (e.g. its Idempotency-Key).
      headers:
        broken && c.headers
          ? Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]))
          : undefined,
      retries: 5,
    });
  };

  /** The caller the operation lets through (any answer but 401/403 to its valid example). */
  async function callerFor(c: LimitCase): Promise<string | undefined> {
    if (!c.secured) return undefined;
    for (const token of tokens) {
      const answer = await send(c, token, c.example, false);
      if (answer.status !== 401 && answer.status !== 403) {
        expect([400, 422]).not.toContain(answer.status); // the example itself is valid
        return token;
      }
    }
    throw new Error(`no caller gets through to ${c.operationId}`);
  }

  it('the gateway serves the checked-in document', async () => {
    const served = await client.call('GET', '/openapi.json', undefined, { expect: 200 });
    expect(served.body).toEqual(openApiDocument);
  });

  it('finds the limits of every route of those services with a body or a query', () => {
    expect(new Set(cases.map((c) => c.url.split('/')[2]))).toEqual(
      new Set(['audit', 'disbursements', 'grants', 'treasury']),
    );
    expect(new Set(cases.map((c) => c.operationId)).size).toBe(22);
    expect(new Set(cases.map((c) => c.limit))).toEqual(
      new Set(['maxLength', 'pattern', 'enum', 'maxItems', 'maximum', 'minimum']),
    );
  });

  it.each(cases.map((c) => [`${c.operationId} ${c.location} ${c.field} past ${c.limit}`, c]))(
    '%s → 400/422 naming the field',
    async (_, c) => {
      const token = await callerFor(c);
      const answer = await send(c, token, c.body, true);
      expect([400, 422]).toContain(answer.status);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      const fields = ((answer.body as { errors?: { field: string }[] }).errors ?? []).map(
        (e) => e.field,
      );
      expect(fields).toContain(c.field);
    },
    60_000,
  );
});
