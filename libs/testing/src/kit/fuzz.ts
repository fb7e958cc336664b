import fc from 'fast-check';

/**
 * Values a careless or hostile client might send: any JSON, long grapheme and binary strings, the
 * given near-miss strings of the service's own domain, numbers and null. `extra` arbitraries are
 * offered before the numbers (e.g. arrays of almost-valid URLs).
 */
export function hostileValues(
  nearMisses: readonly string[],
  extra: fc.Arbitrary<unknown>[] = [],
): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.constantFrom(...nearMisses),
    ...extra,
    fc.integer(),
    fc.double(),
    fc.constant(null),
  );
}

/**
 * A valid body with one field replaced by a hostile value, removed, or an unknown one added
 * (including `__proto__`), or a hostile value or a random object instead of the body.
 */
export function mutatedBody(
  valid: Record<string, unknown>,
  hostile: fc.Arbitrary<unknown>,
): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostile,
    fc
      .record({
        key: fc.constantFrom(...Object.keys(valid), 'extra', '__proto__', 'constructor'),
        value: hostile,
        drop: fc.boolean(),
      })
      .map(({ key, value, drop }) => {
        const copy: Record<string, unknown> = JSON.parse(JSON.stringify(valid));
        if (drop) delete copy[key];
        else copy[key] = value;
        return copy;
      }),
    fc.dictionary(fc.string({ maxLength: 20 }), hostile, { maxKeys: 8 }),
  );
}
