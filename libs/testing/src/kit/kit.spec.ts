import fc from 'fast-check';
import { ownerAndOtherFounder } from './authorization-matrix';
import { freshAccountId, integrationEnvelope, txHash } from './envelope';
import { eventually } from './eventually';
import { tokensPerRole } from './tokens';
import { parseCsv } from './csv';
import {
  expectProblemOrSuccess,
  fuzzBodies,
  HEADER_NEAR_MISSES,
  ODD_STRINGS,
  headerValue,
  sendFuzzedBody,
} from './fuzz';

/** A request that records what it was given. */
function recorder() {
  const sent: { headers: Record<string, string>; body?: unknown } = { headers: {} };
  const call = {
    set(field: string, value: string) {
      sent.headers[field] = value;
      return call;
    },
    send(body?: string | object) {
      sent.body = body;
      return Promise.resolve(sent);
    },
  };
  return { call, sent };
}

describe('sendFuzzedBody', () => {
  it('sends an object as JSON when not raw', async () => {
    const { call, sent } = recorder();
    await sendFuzzedBody(call, { a: 1 }, false);
    expect(sent).toEqual({ headers: {}, body: { a: 1 } });
  });

  it('sends a raw string as its bytes with a JSON content type', async () => {
    const { call, sent } = recorder();
    await sendFuzzedBody(call, '{"a":', true);
    expect(sent).toEqual({ headers: { 'content-type': 'application/json' }, body: '{"a":' });
  });

  it.each([
    ['a raw object', { a: 1 }, true, '{"a":1}'],
    ['a string, not raw', 'x', false, '"x"'],
    ['null', null, false, 'null'],
    ['a number', 5, true, '5'],
  ])('serialises %s with a JSON content type', async (_name, body, raw, expected) => {
    const { call, sent } = recorder();
    await sendFuzzedBody(call, body, raw);
    expect(sent).toEqual({ headers: { 'content-type': 'application/json' }, body: expected });
  });
});

describe('headerValue', () => {
  it('gives visible ASCII up to the length, or a near-miss', () => {
    fc.assert(
      fc.property(headerValue({ maxLength: 20 }), (value) => {
        expect(value).toMatch(/^[\x20-\x7e]*$/);
        expect(value.length).toBeLessThanOrEqual(20);
      }),
    );
  });

  it('offers every near-miss it is given', () => {
    const seen = new Set(fc.sample(headerValue({ nearMisses: ['only'] }), 500));
    expect(seen.has('only')).toBe(true);
    const defaults = new Set(fc.sample(headerValue(), 2000));
    for (const nearMiss of HEADER_NEAR_MISSES) expect(defaults.has(nearMiss)).toBe(true);
  });
});

describe('expectProblemOrSuccess', () => {
  const problem = { 'content-type': 'application/problem+json; charset=utf-8' };
  it('passes a success and a problem that names its status', () => {
    expectProblemOrSuccess({ status: 200, headers: {}, body: {} });
    expectProblemOrSuccess({ status: 404, headers: problem, body: { status: 404 } });
  });

  it.each([
    ['a 5xx', { status: 500, headers: problem, body: { status: 500 } }],
    ['an error that is not problem+json', { status: 400, headers: {}, body: { status: 400 } }],
    ['a problem naming another status', { status: 400, headers: problem, body: { status: 422 } }],
  ])('fails %s', (_name, response) => {
    expect(() => expectProblemOrSuccess(response)).toThrow();
  });
});

describe('integrationEnvelope', () => {
  it('is a valid envelope with fresh ids, version 1 and actor e2e unless told otherwise', () => {
    const data = { grantId: 'g', reason: 'r', cancelledBy: 'admin', cancelledAt: 'now' };
    const a = integrationEnvelope('GrantCancelled', 'g', data);
    const b = integrationEnvelope('GrantCancelled', 'g', data, { streamVersion: 3, actor: 'x' });
    expect(a).toMatchObject({
      type: 'GrantCancelled',
      schemaVersion: 1,
      aggregateId: 'g',
      streamVersion: 1,
      causationId: null,
      actor: 'e2e',
      data,
    });
    expect(a.correlationId).toMatch(/^corr-/);
    expect(a.eventId).not.toBe(b.eventId);
    expect(b).toMatchObject({ streamVersion: 3, actor: 'x' });
  });

  it('txHash is 44 base58 characters; freshAccountId is a fresh test account', () => {
    expect(txHash()).toMatch(/^[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect(freshAccountId('payout')).toMatch(/^payout-[0-9a-f]{10}\.test\.near$/);
    expect(freshAccountId('a')).not.toBe(freshAccountId('a'));
  });
});

describe('tokensPerRole', () => {
  it('mints one fresh identity per role holding only that role', async () => {
    const minted: [string, string[]][] = [];
    const tokens = await tokensPerRole(
      async (sub, roles) => {
        minted.push([sub, roles]);
        return `token-of-${sub}`;
      },
      ['admin', 'treasurer'],
    );
    expect(minted.map(([, roles]) => roles)).toEqual([['admin'], ['treasurer']]);
    expect(minted[0][0]).toMatch(/^admin-[0-9a-f]{6}$/);
    expect(minted[1][0]).toMatch(/^treasurer-[0-9a-f]{6}$/);
    expect(tokens).toEqual({
      admin: `token-of-${minted[0][0]}`,
      treasurer: `token-of-${minted[1][0]}`,
    });
  });
});

describe('eventually', () => {
  it('returns the first defined value of a sync or async probe', async () => {
    let calls = 0;
    expect(await eventually(() => (++calls >= 3 ? calls : undefined), 1000, 1)).toBe(3);
    expect(await eventually(async () => 'now', 1000, 1)).toBe('now');
  });

  it('names what it waited for when the time is up; a probe error is the probe’s', async () => {
    await expect(eventually(() => undefined, 20, 5, 'the payout')).rejects.toThrow(
      'the payout not met in time',
    );
    await expect(eventually(() => undefined, 20, 5)).rejects.toThrow('condition not met in time');
    await expect(
      eventually(() => {
        throw new Error('boom');
      }, 20),
    ).rejects.toThrow('boom');
  });
});

describe('parseCsv', () => {
  it('reads quoted cells, doubled quotes and CRLF records', () => {
    expect(parseCsv('a,"b,c","say ""hi"""\r\n,x\r\n')).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['', 'x'],
    ]);
    expect(parseCsv('"line\r\nbreak"\r\n')).toEqual([['line\r\nbreak']]);
  });

  it('refuses a last record without CRLF', () => {
    expect(() => parseCsv('a,b')).toThrow('last record has no CRLF');
    expect(() => parseCsv('a\r\n"')).toThrow('a quoted cell is not closed');
  });
});

describe('fuzzBodies', () => {
  const answer = (status: number, ok = true) => ({
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { status: ok ? status : 0 },
  });

  it('sends every route its runs and checks the count around each refusal', async () => {
    let counted = 0;
    let sent = 0;
    await fuzzBodies({
      routes: [{ valid: { a: 1 } }, { valid: { b: 2 } }],
      hostile: fc.constant('x'),
      request: () => {
        const call = {
          set: () => call,
          send: () => {
            sent += 1;
            return Promise.resolve(answer(422));
          },
        };
        return call;
      },
      count: async () => {
        counted += 1;
        return 7;
      },
      numRuns: 5,
    });
    expect(sent).toBe(10);
    expect(counted).toBe(20);
  });

  it('fails when a refused request changed the count, or the answer is no problem', async () => {
    let n = 0;
    const request =
      (status: number, ok = true) =>
      () => {
        const call = { set: () => call, send: () => Promise.resolve(answer(status, ok)) };
        return call;
      };
    const base = { routes: [{ valid: { a: 1 } }], hostile: fc.constant(1), numRuns: 3 };
    await expect(
      fuzzBodies({ ...base, request: request(400), count: async () => n++ }),
    ).rejects.toThrow();
    await expect(
      fuzzBodies({ ...base, request: request(400, false), count: async () => 0 }),
    ).rejects.toThrow();
    await expect(
      fuzzBodies({ ...base, request: request(503), count: async () => 0 }),
    ).rejects.toThrow();
  });
});

describe('ODD_STRINGS', () => {
  it('holds the blank, control, bidi, lone-surrogate and oversized strings', () => {
    expect(ODD_STRINGS.slice(0, 5)).toEqual(['', ' ', '\u0000', '\u202e', '\ud800']);
    expect(ODD_STRINGS[5]).toBe('💸'.repeat(3000));
  });
});

describe('ownerAndOtherFounder', () => {
  it('signs in two fresh founders: the owner and another', async () => {
    let n = 0;
    const founders = await ownerAndOtherFounder(async () => {
      n += 1;
      return { accountId: `founder-${n}.test.near`, token: `token-${n}` };
    });
    expect(founders).toEqual({
      owner: 'founder-1.test.near',
      tokens: { founderOwner: 'token-1', otherFounder: 'token-2' },
    });
  });
});
