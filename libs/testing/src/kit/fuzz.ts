import fc from 'fast-check';

/**
 * Strings that break careless text handling: empty, blank, NUL, a right-to-left override, a lone
 * surrogate, and an emoji string far past any limit (spread them into a service's near-misses).
 */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  '\u202e',
  '\ud800',
  '💸'.repeat(3000),
];

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

/** Visible ASCII strings (what an HTTP client can put in a header at all), up to `maxLength`. */
export const printableAscii = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Near-misses of If-Match and Idempotency-Key values: weak and odd ETags, wildcard, empty. */
export const HEADER_NEAR_MISSES = ['"1"', 'W/"1"', '1', '"-1"', '"99999999999"', '*', '', ' '];

/**
 * Header values: visible ASCII up to `maxLength` (default 250), or one of `nearMisses` (default
 * {@link HEADER_NEAR_MISSES}).
 */
export const headerValue = (
  options: { maxLength?: number; nearMisses?: readonly string[] } = {},
): fc.Arbitrary<string> =>
  fc.oneof(
    printableAscii(options.maxLength ?? 250),
    fc.constantFrom(...(options.nearMisses ?? HEADER_NEAR_MISSES)),
  );

/** A request that can still take a body and headers (supertest's Test). */
export interface SendableRequest<R> {
  set(field: string, value: string): SendableRequest<R>;
  send(body?: string | object): PromiseLike<R>;
}

/**
 * Sends a fuzzed body: with `raw` (or when the body is no object) its bytes go as they are with a
 * JSON content type, so they may not even parse; otherwise as JSON.
 */
export async function sendFuzzedBody<R>(
  call: SendableRequest<R>,
  body: unknown,
  raw: boolean,
): Promise<R> {
  const isObject = typeof body === 'object' && body !== null;
  if (!raw && isObject) return call.send(body);
  const payload = raw && typeof body === 'string' ? body : JSON.stringify(body);
  return call.set('content-type', 'application/json').send(payload);
}

/** The parts of an answer a fuzz property checks. */
export interface FuzzAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What a fuzzed request may answer: never 5xx; an error is problem+json naming its status. */
export function expectProblemOrSuccess(response: FuzzAnswer): void {
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect((response.body as { status?: unknown }).status).toBe(response.status);
  }
}

/**
 * For each route, `numRuns` mutations of its valid body ({@link mutatedBody}), half of them sent
 * as raw bytes ({@link sendFuzzedBody}): never 5xx, every error problem+json naming its status
 * ({@link expectProblemOrSuccess}), and a refused request leaves `count` (e.g. the events of the
 * stream it aims at) as it was.
 */
export async function fuzzBodies<Route extends { valid: Record<string, unknown> }>(options: {
  routes: readonly Route[];
  hostile: fc.Arbitrary<unknown>;
  /** The request of `route`, authenticated, without its body. */
  request: (route: Route) => SendableRequest<FuzzAnswer>;
  /** What a refused request must not change. */
  count: (route: Route) => Promise<number>;
  numRuns: number;
}): Promise<void> {
  for (const route of options.routes) {
    await fc.assert(
      fc.asyncProperty(
        mutatedBody(route.valid, options.hostile),
        fc.boolean(),
        async (body, raw) => {
          const before = await options.count(route);
          const response = await sendFuzzedBody(options.request(route), body, raw);
          expectProblemOrSuccess(response);
          if (response.status >= 400) expect(await options.count(route)).toBe(before);
        },
      ),
      { numRuns: options.numRuns },
    );
  }
}
