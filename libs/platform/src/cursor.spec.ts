import fc from 'fast-check';
import { z } from 'zod';
import { createCursorCodec } from './cursor';
import { ValidationProblem } from './problem';

const position = z.object({ createdAt: z.string().datetime(), id: z.string().uuid() }).strict();

function problemOf(decode: () => unknown): ValidationProblem {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    return error as ValidationProblem;
  }
  throw new Error('decoded');
}

describe.each([
  ['strictly parsed', {}],
  ['signed', { secret: 'cursor-test-secret' }],
])('cursor codec, %s', (_name, options) => {
  const codec = createCursorCodec(position, options);
  const at = { createdAt: '2026-12-01T10:00:00.000Z', id: '4b0f8a3e-2c1d-4e5f-9a8b-7c6d5e4f3a2b' };

  it('round-trips what it issued', () => {
    expect(codec.decode(codec.encode(at))).toEqual(at);
  });

  it('answers a 400 naming the field for anything else, never throws something else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.base64String()), (cursor) => {
        if (cursor === codec.encode(at)) return;
        let decoded: unknown;
        try {
          decoded = codec.decode(cursor, 'cursor');
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationProblem);
          const problem = error as ValidationProblem;
          expect(problem.status).toBe(400);
          expect(problem.errors?.[0]).toMatchObject({ field: 'cursor', code: 'invalid_cursor' });
          return;
        }
        expect(position.safeParse(decoded).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses the reported tampered cursor (a number for createdAt) with a 400', () => {
    const tampered = Buffer.from(
      JSON.stringify({ createdAt: 1, id: '00000000-0000-0000-0000-000000000000' }),
    ).toString('base64url');
    expect(problemOf(() => codec.decode(tampered)).status).toBe(400);
  });
});

describe('signed cursors', () => {
  it('refuses a well-formed position whose tag does not match', () => {
    const codec = createCursorCodec(position, { secret: 'one' });
    const other = createCursorCodec(position, { secret: 'two' });
    const at = {
      createdAt: '2026-12-01T10:00:00.000Z',
      id: '4b0f8a3e-2c1d-4e5f-9a8b-7c6d5e4f3a2b',
    };
    expect(problemOf(() => codec.decode(other.encode(at))).errors?.[0].field).toBe('cursor');
  });
});
