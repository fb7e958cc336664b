import { randomBytes, randomUUID } from 'node:crypto';
import { createDataSource, createPool, migrateSchema } from '@lib/platform';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { AuthError } from './auth-error';
import { createSignInChallenge } from '@lib/near';
import {
  PgSignInChallengeStore,
  signInMigrations,
  type SignInChallenge,
} from './signin-challenge.store';

const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';
const schema = `auth_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

let pool: Pool;
let dataSource: DataSource;
let store: PgSignInChallengeStore;

beforeAll(async () => {
  pool = createPool(databaseUrl, 'auth-int-test', 8);
  dataSource = createDataSource({ databaseUrl, schema, migrations: signInMigrations(schema) });
  const applied = await migrateSchema(pool, dataSource, schema);
  expect(applied).toEqual([
    'CreateSignInChallenges1764547200000',
    'SignInChallengeLimits1764633600000',
  ]);
  store = new PgSignInChallengeStore(pool, schema);
});

afterAll(async () => {
  await dataSource?.destroy();
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool?.end();
});

const now = new Date('2026-12-01T10:00:00.000Z');
const account = () => `ada-${randomUUID().slice(0, 8)}.near`;
const challenge = (accountId = account(), ttlSeconds = 300, at = now): SignInChallenge => ({
  ...createSignInChallenge({
    accountId,
    recipient: 'incubator.near',
    now: at,
    ttlMs: ttlSeconds * 1000,
    random32: randomBytes(32),
  }),
  accountId,
});

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('PgSignInChallengeStore', () => {
  it('issues a challenge with a 32-byte nonce and consumes it once', async () => {
    const issued = challenge();
    expect(Buffer.from(issued.nonce, 'base64')).toHaveLength(32);
    await store.issue(issued);
    await expect(
      store.consume(issued.nonce, issued.accountId, new Date(now.getTime() + 1000)),
    ).resolves.toEqual(issued);
    const again = await failure(
      store.consume(issued.nonce, issued.accountId, new Date(now.getTime() + 2000)),
    );
    expect([again.status, again.code]).toEqual([401, 'challenge_reused']);
  });

  it('refuses an unknown nonce', async () => {
    const error = await failure(store.consume(randomBytes(32).toString('base64'), account(), now));
    expect(error.code).toBe('challenge_unknown');
  });

  it('refuses a nonce issued to another account, without using it up', async () => {
    const issued = challenge();
    await store.issue(issued);
    expect((await failure(store.consume(issued.nonce, account(), now))).code).toBe(
      'challenge_unknown',
    );
    await expect(store.consume(issued.nonce, issued.accountId, now)).resolves.toMatchObject({
      accountId: issued.accountId,
    });
  });

  it('refuses an expired nonce (expiry is exclusive)', async () => {
    const issued = challenge(account(), 60);
    await store.issue(issued);
    expect(
      (await failure(store.consume(issued.nonce, issued.accountId, issued.expiresAt))).code,
    ).toBe('challenge_expired');
  });

  it('refuses to issue the same nonce twice', async () => {
    const issued = challenge();
    await store.issue(issued);
    await expect(store.issue({ ...issued, accountId: account() })).rejects.toThrow(/duplicate key/);
  });

  it('lets exactly one of many concurrent verifications consume a nonce', async () => {
    const issued = challenge();
    await store.issue(issued);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => store.consume(issued.nonce, issued.accountId, now)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const reasons = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as AuthError).code] : [],
    );
    expect(new Set(reasons)).toEqual(new Set(['challenge_reused']));
  });

  it('purges expired challenges', async () => {
    const old = challenge(account(), 300, new Date('2020-01-01T00:00:00Z'));
    const fresh = challenge();
    await store.issue(old);
    await store.issue(fresh);
    expect(await store.purgeExpired(new Date('2021-01-01T00:00:00Z'))).toBeGreaterThanOrEqual(1);
    expect(
      (await failure(store.consume(old.nonce, old.accountId, new Date('2019-01-01T00:00:00Z'))))
        .code,
    ).toBe('challenge_unknown');
    await expect(store.consume(fresh.nonce, fresh.accountId, now)).resolves.toMatchObject({
      nonce: fresh.nonce,
    });
  });

  it('counts challenges issued since a moment, per account and per client address', async () => {
    const accountId = account();
    const clientAddress = `198.51.100.${randomBytes(1)[0]}-${randomUUID().slice(0, 6)}`;
    const since = new Date(Date.now() - 1000);
    await store.issue({ ...challenge(accountId), clientAddress });
    await store.issue({ ...challenge(accountId), clientAddress });
    await store.issue({ ...challenge(), clientAddress });
    await expect(store.countIssuedSince(since, { accountId, clientAddress })).resolves.toEqual({
      account: 2,
      address: 3,
    });
    await expect(
      store.countIssuedSince(new Date(Date.now() + 60_000), { accountId, clientAddress }),
    ).resolves.toEqual({ account: 0, address: 0 });
    await expect(store.countIssuedSince(since, { accountId: account() })).resolves.toEqual({
      account: 0,
      address: 0,
    });
  });
});
