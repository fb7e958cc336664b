import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { correlationIdFrom, isCorrelationId } from './correlation';

describe('correlationIdFrom', () => {
  it('keeps a UUID (lower-cased)', () => {
    const id = randomUUID();
    expect(correlationIdFrom(id)).toBe(id);
    expect(correlationIdFrom(id.toUpperCase())).toBe(id);
  });

  it('replaces anything else with a fresh UUID', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.constant(undefined), fc.array(fc.uuid())),
        (value) => {
          const id = correlationIdFrom(value);
          expect(isCorrelationId(id)).toBe(true);
          if (typeof value === 'string' && isCorrelationId(value)) {
            expect(id).toBe(value.toLowerCase());
          } else {
            expect(id).not.toBe(value);
          }
        },
      ),
    );
    expect(correlationIdFrom('corr-42')).not.toBe('corr-42');
    expect(correlationIdFrom(`${randomUUID()}\n{"forged":true}`)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
