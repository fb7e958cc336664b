import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable, ProblemError, toProblem } from './problem';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toProblem', () => {
  it('a ProblemError keeps its status, code, detail and field problems', () => {
    const errors = [{ field: 'a', code: 'required', message: 'x' }];
    expect(toProblem(new ProblemError(409, 'version_conflict', 'stale', errors))).toEqual({
      type: 'https://errors.incubator.example/version_conflict',
      title: 'Conflict',
      status: 409,
      code: 'version_conflict',
      detail: 'stale',
      errors,
    });
  });

  it('an HttpException keeps its status', () => {
    expect(toProblem(new HttpException('too big', 413))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
  });

  it('a lost PostgreSQL connection is a 503 database_unavailable, not a 500', () => {
    for (const error of [
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated'),
      new Error('Client has encountered a connection error and is not queryable'),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('connection failure', '08006'),
    ]) {
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(toProblem(error)).toEqual({
        type: 'https://errors.incubator.example/database_unavailable',
        title: 'Service Unavailable',
        status: 503,
        code: 'database_unavailable',
        detail: 'the database is unavailable; retry shortly',
      });
    }
  });

  it('any other error is a 500 that leaks nothing', () => {
    for (const error of [
      new Error('boom'),
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('syntax error', '42601'),
      withCode('x', '0800'),
      new Error('Connection terminated by the bank'),
      'a string',
      undefined,
    ]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
      expect(toProblem(error)).toEqual({
        type: 'https://errors.incubator.example/internal_error',
        title: 'Internal Server Error',
        status: 500,
        code: 'internal_error',
        detail: 'unexpected error; it has been logged',
      });
    }
  });
});
