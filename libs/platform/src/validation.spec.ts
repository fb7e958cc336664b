import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ValidationProblem } from '@lib/contracts';
import {
  checkedBody,
  commaList,
  decimalString,
  ifMatchVersion,
  listQueryFields,
  raw,
  text,
  validateBody,
} from './validation';

const problems = (schema: z.ZodTypeAny, body: unknown): string[] => {
  try {
    validateBody(schema, body);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    return (error as ValidationProblem).errors!.map((p) => `${p.field} ${p.code}`);
  }
};

describe('validation toolkit', () => {
  const pair = z.object({ low: z.number(), high: z.number(), label: text(5) }).strict();
  const body = checkedBody(
    pair,
    (input, report) => {
      const value = raw.record(input) ?? {}; // checks see anything, even null: be defensive
      if (typeof value.low === 'number' && typeof value.high === 'number' && value.low > value.high)
        report('out_of_order', 'low must not exceed high', ['low']);
    },
    (parsed) => ({ range: [parsed.low, parsed.high] as const, label: parsed.label }),
  );

  it('lists field problems and cross-field problems in one answer, fields first', () => {
    expect(problems(body, { low: 3, high: 1, label: 'toolong' })).toEqual([
      'label too_long',
      'low out_of_order',
    ]);
  });

  it('builds command data only from a clean body', () => {
    expect(validateBody(body, { low: 1, high: 3, label: ' ok ' })).toEqual({
      range: [1, 3],
      label: 'ok',
    });
  });

  it('counts text in code points and answers 400 when told', () => {
    expect(problems(text(3), '😀😀😀')).toEqual([]);
    expect(problems(text(3), '😀😀😀😀')).toEqual(['(body) too_long']);
    try {
      validateBody(text(3), 7, 400);
    } catch (error) {
      expect((error as ValidationProblem).status).toBe(400);
    }
  });

  it('documents the body schema itself and the limits the checks enforce', () => {
    const registry = new OpenAPIRegistry();
    registry.register('Pair', body);
    registry.register('Amount', decimalString());
    const { components } = new OpenApiGeneratorV3(registry.definitions).generateComponents();
    const schemas = components!.schemas as Record<string, Record<string, unknown>>;
    expect(schemas.Pair).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['low', 'high', 'label'],
      properties: { label: { type: 'string', minLength: 1, maxLength: 5 } },
    });
    expect(schemas.Amount).toMatchObject({ type: 'string', pattern: '^(0|[1-9]\\d*)(\\.\\d+)?$' });
  });

  it('If-Match: a quoted, weak or bare version; absent is no precondition; else a 400 on the header', () => {
    expect(ifMatchVersion('W/"7"')).toBe(7);
    expect(ifMatchVersion(' "3" ')).toBe(3);
    expect(ifMatchVersion('12')).toBe(12);
    expect(ifMatchVersion(undefined)).toBeUndefined();
    for (const header of ['"abc"', '', '*', '"1234567890"', ['"1"'], 3]) {
      try {
        ifMatchVersion(header);
        throw new Error(`accepted ${JSON.stringify(header)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationProblem);
        expect((error as ValidationProblem).status).toBe(400);
        expect((error as ValidationProblem).errors).toEqual([
          { field: 'If-Match', code: 'invalid_if_match', message: 'must be the version, e.g. "3"' },
        ]);
      }
    }
  });

  it('list queries: comma lists of known values, limit 1–100 (default 20), cursor, format', () => {
    const query = z
      .object({ status: commaList(['open', 'closed'], 20).optional(), ...listQueryFields() })
      .strict();
    expect(validateBody(query, { status: 'open, closed', limit: '5', format: 'csv' }, 400)).toEqual(
      {
        status: ['open', 'closed'],
        limit: 5,
        format: 'csv',
      },
    );
    expect(validateBody(query, {}, 400)).toEqual({ limit: 20 });
    expect(problems(query, { status: 'open,lost', limit: '0', cursor: '', format: 'xml' })).toEqual(
      ['status.1 invalid_enum', 'limit too_small', 'cursor too_short', 'format invalid_enum'],
    );
    expect(problems(query, { status: 'open,'.repeat(5) })).toEqual(['status too_long']);
    const short = z.object(listQueryFields({ cursorMax: 3 }));
    expect(problems(short, { cursor: 'abcd', limit: '101' })).toEqual([
      'limit too_big',
      'cursor too_long',
    ]);
  });
});
