import { Body, Controller, HttpCode, Post, Res, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import request from 'supertest';
import { IdempotencyInterceptor, ProblemError } from '@lib/platform';
import { idempotencyTestApp } from './idempotency.test-app';

describe('Idempotency-Key', () => {
  let executions = 0;

  @Controller('things')
  @UseInterceptors(IdempotencyInterceptor)
  class ThingsController {
    @Post()
    @HttpCode(201)
    create(@Body() body: { name?: string }, @Res({ passthrough: true }) res: Response) {
      executions += 1;
      if (body.name === 'bad') throw new ProblemError(422, 'bad_name', 'no');
      res.setHeader('location', `/things/${executions}`);
      return { id: executions, name: body.name };
    }
  }

  const things = idempotencyTestApp({ name: 'idem-test', controller: ThingsController });

  const post = (key: string | undefined, body: object) => {
    const r = request(things.app.getHttpServer()).post('/things').send(body);
    return key ? r.set('idempotency-key', key) : r;
  };

  it('runs once and replays the same answer for the same key and body', async () => {
    const before = executions;
    const first = await post('k-1', { name: 'a' });
    const second = await post('k-1', { name: 'a' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(executions - before).toBe(1);
  });

  it('rejects the same key with a different body (422) without running', async () => {
    await post('k-2', { name: 'a' });
    const before = executions;
    const reused = await post('k-2', { name: 'b' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect(executions).toBe(before);
  });

  it('replays a stored client error too', async () => {
    const first = await post('k-3', { name: 'bad' });
    const before = executions;
    const second = await post('k-3', { name: 'bad' });
    expect(first.status).toBe(422);
    expect(second.status).toBe(422);
    expect(second.body.code).toBe('bad_name');
    expect(executions).toBe(before);
  });

  it('runs every time without a key, and rejects a malformed key', async () => {
    const before = executions;
    await post(undefined, { name: 'x' });
    await post(undefined, { name: 'x' });
    expect(executions - before).toBe(2);
    const bad = await post('has space', { name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
  });
});
