import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import type { Request } from 'express';
import request from 'supertest';
import { IdempotencyInterceptor, ProblemError, ValidationProblem } from '@lib/platform';
import { idempotencyTestApp } from './idempotency.test-app';

/** Stripe's semantics: scope, 422 naming the key, replay header, lease, retention, no 4xx rows. */
describe('Idempotency-Key: scope, lease and retention', () => {
  let executions = 0;

  @Controller('things')
  @UseInterceptors(IdempotencyInterceptor)
  class ThingsController {
    @Post(':kind')
    @HttpCode(201)
    create(@Body() body: { name?: string }, @Req() req: Request & { user?: unknown }) {
      executions += 1;
      if (body.name === 'invalid') {
        throw new ValidationProblem([{ field: 'name', code: 'too_short', message: 'no' }]);
      }
      if (body.name === 'forbidden') throw new ProblemError(403, 'not_owner', 'no');
      return { n: executions, name: body.name, user: req.user ?? null };
    }
  }

  const things = idempotencyTestApp({
    name: 'idem-lease-test',
    controller: ThingsController,
    env: { IDEMPOTENCY_LEASE_SECONDS: '60', IDEMPOTENCY_RETENTION_HOURS: '24' },
    // Stand-in for the AuthGuard: the caller is whoever the test says, as (issuer, sub).
    configure: (app) =>
      app.use((req: Request & { user?: unknown }, _res: unknown, next: () => void) => {
        const who = req.headers['x-test-user'];
        if (typeof who === 'string') {
          const [issuer, sub] = JSON.parse(who) as [string, string];
          req.user = { issuer, sub, roles: [] };
        }
        next();
      }),
  });
  const { schema } = things;

  const post = (key: string, body: object, user?: [string, string], kind = 'a') => {
    const r = request(things.app.getHttpServer())
      .post(`/things/${kind}`)
      .set('idempotency-key', key)
      .send(body);
    return user ? r.set('x-test-user', JSON.stringify(user)) : r;
  };
  const rows = async (key: string) =>
    Number(
      (
        await things.pool.query(
          `SELECT count(*) AS n FROM ${schema}.idempotency_keys WHERE key = $1`,
          [key],
        )
      ).rows[0].n,
    );

  it('replays the same request with Idempotent-Replayed: true, running once', async () => {
    const key = randomUUID();
    const before = executions;
    const first = await post(key, { name: 'a' }).expect(201);
    const again = await post(key, { name: 'a' }).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(executions - before).toBe(1);
  });

  it('answers 422 naming the key when it comes back with another body', async () => {
    const key = `k-${randomUUID()}`;
    await post(key, { name: 'a' }).expect(201);
    const before = executions;
    const reused = await post(key, { name: 'b' }).expect(422);
    expect(reused.headers['content-type']).toContain('application/problem+json');
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect(reused.body.detail).toContain(key);
    expect(reused.body.errors).toEqual([
      expect.objectContaining({ field: 'Idempotency-Key', code: 'idempotency_key_reused' }),
    ]);
    expect(executions).toBe(before);
  });

  it('scopes keys by (issuer, sub), method and route', async () => {
    const key = randomUUID();
    const sub = `ada-${randomUUID().slice(0, 6)}.near`;
    const founder = await post(key, { name: 'x' }, ['founder-issuer', sub]).expect(201);
    // Same sub from another issuer: another identity, so its own run — not the founder's answer.
    const staff = await post(key, { name: 'x' }, ['staff-issuer', sub]).expect(201);
    expect(staff.headers['idempotent-replayed']).toBeUndefined();
    expect(staff.body.n).not.toBe(founder.body.n);
    // Same identity and key on another route: a separate key, not a 422.
    const otherRoute = await post(key, { name: 'y' }, ['founder-issuer', sub], 'b').expect(201);
    expect(otherRoute.headers['idempotent-replayed']).toBeUndefined();
    expect(await rows(key)).toBe(3);
  });

  it('answers 409 while the first request holds the claim, and lets a retry in after the lease', async () => {
    const key = randomUUID();
    const body = { name: 'crashed' };
    // What a process killed between claim and answer leaves behind: a claim with no answer.
    await post(key, body).expect(201);
    await things.pool.query(
      `UPDATE ${schema}.idempotency_keys SET status_code = NULL, response_body = NULL WHERE key = $1`,
      [key],
    );
    const conflict = await post(key, body).expect(409);
    expect(conflict.body.code).toBe('idempotency_key_in_use');
    // Retry-After: what is left of the 60 s lease, counted from the claim.
    expect(Number(conflict.headers['retry-after'])).toBeGreaterThanOrEqual(55);
    expect(Number(conflict.headers['retry-after'])).toBeLessThanOrEqual(60);
    await things.pool.query(
      `UPDATE ${schema}.idempotency_keys SET claimed_at = now() - interval '57 seconds' WHERE key = $1`,
      [key],
    );
    const late = await post(key, body).expect(409);
    expect(Number(late.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(late.headers['retry-after'])).toBeLessThanOrEqual(3);
    // 61 s later (the lease is 60 s) the claim is abandoned: the retry runs and answers.
    await things.pool.query(
      `UPDATE ${schema}.idempotency_keys SET claimed_at = now() - interval '61 seconds' WHERE key = $1`,
      [key],
    );
    const before = executions;
    const retried = await post(key, body).expect(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(executions - before).toBe(1);
    // …and from then on it replays like any answered key.
    expect((await post(key, body).expect(201)).headers['idempotent-replayed']).toBe('true');
  });

  it('does not let an expired lease be taken over by a different request', async () => {
    const key = randomUUID();
    await post(key, { name: 'one' }).expect(201);
    await things.pool.query(
      `UPDATE ${schema}.idempotency_keys
          SET status_code = NULL, claimed_at = now() - interval '1 hour' WHERE key = $1`,
      [key],
    );
    expect((await post(key, { name: 'two' }).expect(422)).body.code).toBe('idempotency_key_reused');
  });

  it('purges keys older than the retention, and forgets them even before the purge runs', async () => {
    const old = randomUUID();
    const fresh = randomUUID();
    await post(old, { name: 'old' }).expect(201);
    await post(fresh, { name: 'fresh' }).expect(201);
    await things.pool.query(
      `UPDATE ${schema}.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
      [old],
    );
    // Past retention the key is new again: the request runs instead of replaying.
    const before = executions;
    const rerun = await post(old, { name: 'other body is fine now' }).expect(201);
    expect(rerun.headers['idempotent-replayed']).toBeUndefined();
    expect(executions - before).toBe(1);
    await things.pool.query(
      `UPDATE ${schema}.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
      [old],
    );
    const interceptor = things.app.get(IdempotencyInterceptor, { strict: false });
    expect(await interceptor.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await rows(old)).toBe(0);
    expect(await rows(fresh)).toBe(1);
  });

  it('keeps no row for answers that are not results (validation, 403), so retries run', async () => {
    for (const name of ['invalid', 'forbidden']) {
      const key = randomUUID();
      const first = await post(key, { name });
      expect([422, 403]).toContain(first.status);
      expect(await rows(key)).toBe(0);
      const before = executions;
      await post(key, { name });
      expect(executions - before).toBe(1);
    }
  });
});
