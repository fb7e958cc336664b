import fc from 'fast-check';
import { canonicalEvent, canonicalEventParts, canonicalJson } from './canonical';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('is stable under key order and equals JSON.parse round trips (what jsonb gives back)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('refuses values JSON cannot carry faithfully', () => {
    expect(() => canonicalJson({ amount: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ amount: 10n })).toThrow(/bigint/);
  });

  it('splits an event around its stream version so head + version + tail is the canonical event', () => {
    fc.assert(
      fc.property(
        fc.record({
          streamId: fc.string(),
          eventId: fc.uuid(),
          type: fc.string(),
          schemaVersion: fc.integer({ min: 1, max: 9 }),
          data: fc.dictionary(fc.string(), fc.jsonValue()),
          correlationId: fc.string(),
          causationId: fc.option(fc.string(), { nil: null }),
          actor: fc.string(),
          occurredAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (fields, streamVersion) => {
          const { head, tail } = canonicalEventParts(fields);
          expect(head + String(streamVersion) + tail).toBe(
            canonicalEvent({ ...fields, streamVersion }),
          );
        },
      ),
    );
  });
});
