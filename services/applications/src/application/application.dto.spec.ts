import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { AssetError, formatAmount, nearAccountIdSchema, parseAmount } from '@lib/near';
import { validateBody, ValidationProblem } from '@lib/platform';
import { initialState } from './application';
import { decide } from './application.decider';
import { ApplicationError } from './application.errors';
import {
  assignReviewersBody,
  createApplicationBody,
  decisionBody,
  editApplicationBody,
  submitReviewBody,
  withdrawApplicationBody,
} from './application.dto';

// Account ids and amounts have one owner each (@lib/near); these cases hold the DTO to them.
const isNearAccountId = (id: string) => nearAccountIdSchema.safeParse(id).success;
const decimalToBaseUnits = (decimal: string, decimals: number) =>
  parseAmount({ symbol: 'TOKEN', decimals }, decimal);
const baseUnitsToDecimal = (units: bigint, decimals: number) => formatAmount({ decimals }, units);

const now = new Date('2026-12-01T10:00:00.000Z');
const ctx = { now };

const validApplication = () => ({
  title: 'Verifiable inference on NEAR',
  summary: 'Proofs for model outputs.\nTwo lines.',
  category: 'agents',
  team: [{ name: 'Ada', role: 'CEO', contact: 'ada@example.org' }],
  requestedFunding: { asset: 'USDC', amount: '50000' },
  payoutAccount: 'ada.near',
  milestones: [
    { title: 'Prototype', description: '…', dueDate: '2027-03-01', amount: '20000' },
    { title: 'Mainnet launch', description: '…', dueDate: '2027-06-01', amount: '30000' },
  ],
});

/** The problems a body produces, as `field code` strings. */
function problems(schema: Parameters<typeof validateBody>[0], body: unknown): string[] {
  try {
    validateBody(schema, body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    return (error as ValidationProblem).errors!.map((p) => `${p.field} ${p.code}`);
  }
  return [];
}

describe('NEAR account ids', () => {
  it.each([
    'ada.near',
    'a1',
    'ada-lovelace_1.sub.near',
    '0'.repeat(64),
    'a'.repeat(64),
    `0x${'ab'.repeat(20)}`,
    'near',
  ])('accepts %s', (id) => expect(isNearAccountId(id)).toBe(true));

  it.each([
    'a',
    'a'.repeat(65),
    'Ada.near',
    '-ada.near',
    'ada-.near',
    'ada..near',
    'ada--x.near',
    'ada_-x.near',
    '.near',
    'ada.near.',
    'ada near',
    'ada@near',
    '',
  ])('rejects %p', (id) => expect(isNearAccountId(id)).toBe(false));
});

describe('amounts', () => {
  it.each([
    ['2500.50', 6, 2_500_500_000n],
    ['1', 24, 10n ** 24n],
    ['0.000000000000000000000001', 24, 1n],
    ['50000', 6, 50_000_000_000n],
  ])('%s with %i decimals → %s base units', (decimal, decimals, units) => {
    expect(decimalToBaseUnits(decimal, decimals)).toBe(units);
  });

  it('refuses more decimals than allowed and malformed strings', () => {
    expect(() => decimalToBaseUnits('1.0000001', 6)).toThrow(AssetError);
    expect(() => decimalToBaseUnits('1e6', 6)).toThrow(AssetError);
  });

  it('round-trips base units through decimals', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.constantFrom(0, 6, 24),
        (units, decimals) => {
          expect(decimalToBaseUnits(baseUnitsToDecimal(units, decimals), decimals)).toBe(units);
        },
      ),
    );
  });
});

describe('POST /v1/applications', () => {
  const schema = createApplicationBody(ctx);

  it('parses a valid body into fields with base-unit bigint amounts', () => {
    expect(validateBody(schema, validApplication())).toEqual({
      ...validApplication(),
      requestedFunding: { asset: 'USDC', amount: 50_000_000_000n },
      milestones: [
        { title: 'Prototype', description: '…', dueDate: '2027-03-01', amount: 20_000_000_000n },
        {
          title: 'Mainnet launch',
          description: '…',
          dueDate: '2027-06-01',
          amount: 30_000_000_000n,
        },
      ],
      links: [],
    });
  });

  it('lists every missing field at once', () => {
    expect(problems(schema, {})).toEqual([
      'title required',
      'summary required',
      'category required',
      'team required',
      'requestedFunding required',
      'payoutAccount required',
      'milestones required',
    ]);
  });

  it('rejects a body that is not an object', () => {
    expect(problems(schema, [])).toEqual(['(body) invalid_type']);
    expect(problems(schema, null)).toEqual(['(body) invalid_type']);
    expect(problems(schema, 'x')).toEqual(['(body) invalid_type']);
  });

  it('rejects unknown keys, at every level', () => {
    const body = {
      ...validApplication(),
      status: 'approved',
      team: [{ name: 'Ada', role: 'CEO', salary: 1 }],
      requestedFunding: { asset: 'USDC', amount: '50000', fx: 'EUR' },
    };
    expect(problems(schema, body)).toEqual([
      'team.0.salary unknown_field',
      'requestedFunding.fx unknown_field',
      'status unknown_field',
    ]);
  });

  it('lists field problems and cross-field problems together', () => {
    const body = {
      ...validApplication(),
      title: 'x'.repeat(201),
      category: 'defi',
      payoutAccount: 'Ada.near',
      team: [],
      milestones: [
        { title: 'Prototype', description: '…', dueDate: '2026-12-01', amount: '20000.1234567' },
        { title: '', description: '…', dueDate: '2027-02-30', amount: 30000 },
        { title: 'Three', description: '…', dueDate: '2027-01-01', amount: '0' },
      ],
    };
    expect(problems(schema, body)).toEqual([
      'title too_long',
      'category invalid_enum',
      'team too_short',
      'payoutAccount invalid_account_id',
      'milestones.0.dueDate date_not_in_future',
      'milestones.1.title required',
      'milestones.1.dueDate invalid_date',
      'milestones.1.amount invalid_type',
      'milestones.0.amount too_many_decimals',
      'milestones.2.amount not_positive',
    ]);
  });

  it('requires milestone amounts to sum to the requested funding (the decider’s rule)', () => {
    const body = validApplication();
    body.milestones[1].amount = '30000.000001';
    const fields = validateBody(schema, body); // the shape is fine; the sum is an invariant
    const draft = () =>
      decide(
        {
          type: 'CreateDraft',
          data: { applicationId: randomUUID(), fields },
          metadata: { now, actor: { sub: 'ada.near', roles: ['founder'] } },
        },
        initialState(),
        { reviewQuorum: 2 },
      );
    expect(draft).toThrow(ApplicationError);
    expect(() => draft()).toThrow('milestone amounts sum to');
    try {
      draft();
    } catch (error) {
      expect((error as ApplicationError).code).toBe('milestones_sum_mismatch');
    }
  });

  it('checks decimals against the asset (NEAR 24, USDC 6) and rejects unknown assets', () => {
    const near = {
      ...validApplication(),
      requestedFunding: { asset: 'NEAR', amount: '0.000000000000000000000002' },
      milestones: [
        {
          title: 'One',
          description: 'd',
          dueDate: '2027-01-01',
          amount: '0.000000000000000000000002',
        },
      ],
    };
    expect(validateBody(schema, near).requestedFunding).toEqual({ asset: 'NEAR', amount: 2n });
    near.requestedFunding.amount = '0.0000000000000000000000021';
    near.milestones[0].amount = '0.0000000000000000000000021';
    expect(problems(schema, near)).toEqual([
      'requestedFunding.amount too_many_decimals',
      'milestones.0.amount too_many_decimals',
    ]);
    const btc = { ...validApplication(), requestedFunding: { asset: 'BTC', amount: '1' } };
    expect(problems(schema, btc)).toEqual(['requestedFunding.asset unknown_asset']);
  });

  it.each([['1e5'], ['-5'], ['+5'], ['05'], ['5.'], ['.5'], [' 5'], ['0x10'], ['']])(
    'rejects the amount %p',
    (amount) => {
      const body = { ...validApplication(), requestedFunding: { asset: 'USDC', amount } };
      expect(problems(schema, body)).toContain('requestedFunding.amount invalid_amount');
    },
  );

  it('rejects amounts above u128', () => {
    const huge = (1n << 128n).toString();
    const body = {
      ...validApplication(),
      requestedFunding: { asset: 'NEAR', amount: huge },
      milestones: [{ title: 'One', description: 'd', dueDate: '2027-01-01', amount: huge }],
    };
    expect(problems(schema, body)).toEqual([
      'requestedFunding.amount too_large',
      'milestones.0.amount too_large',
    ]);
  });

  it('accepts a custom asset registry', () => {
    const custom = createApplicationBody({
      now,
      assetDecimals: (a) => (a === 'WBTC' ? 8 : undefined),
    });
    const body = {
      ...validApplication(),
      requestedFunding: { asset: 'WBTC', amount: '0.5' },
      milestones: [{ title: 'One', description: 'd', dueDate: '2027-01-01', amount: '0.5' }],
    };
    expect(validateBody(custom, body).requestedFunding).toEqual({
      asset: 'WBTC',
      amount: 50_000_000n,
    });
  });

  it('never accepts numbers where strings are required', () => {
    const body = {
      ...validApplication(),
      title: 42,
      requestedFunding: { asset: 'USDC', amount: 50000 },
    };
    expect(problems(schema, body)).toEqual([
      'title invalid_type',
      'requestedFunding.amount invalid_type',
    ]);
  });

  it('normalises strings to NFC and trims them', () => {
    const body = { ...validApplication(), title: '  Cafe\u0301 agents  ' };
    expect(validateBody(schema, body).title).toBe('Caf\u00e9 agents');
  });

  it('rejects control characters (newlines only in multi-line text) and lone surrogates', () => {
    const body = {
      ...validApplication(),
      title: 'a\nb',
      summary: 'ok\tfine\r\nbut\u0007bell',
      team: [{ name: 'Ada\u0000', role: 'CEO\ud800' }],
    };
    expect(problems(schema, body)).toEqual([
      'title control_character',
      'summary control_character',
      'team.0.name control_character',
      'team.0.role invalid_unicode',
    ]);
  });

  it('counts length in characters and rejects blank text', () => {
    expect(problems(schema, { ...validApplication(), title: '😀'.repeat(200) })).toEqual([]);
    expect(problems(schema, { ...validApplication(), title: '   ' })).toEqual(['title required']);
  });

  it('bounds team and milestones to 1–20', () => {
    const team = Array.from({ length: 21 }, () => ({ name: 'A', role: 'B' }));
    const milestones = Array.from({ length: 21 }, () => ({
      title: 'M',
      description: 'd',
      dueDate: '2027-01-01',
      amount: '1',
    }));
    const body = {
      ...validApplication(),
      team,
      milestones,
      requestedFunding: { asset: 'USDC', amount: '21' },
    };
    expect(problems(schema, body)).toEqual(['team too_long', 'milestones too_long']);
    expect(problems(schema, { ...validApplication(), milestones: [] })).toEqual([
      'milestones too_short',
    ]);
  });

  it('refuses no milestones, no team and non-positive amounts', () => {
    const body = {
      ...validApplication(),
      team: [],
      requestedFunding: { asset: 'USDC', amount: '0' },
      milestones: [],
    };
    expect(problems(schema, body)).toEqual([
      'team too_short',
      'milestones too_short',
      'requestedFunding.amount not_positive',
    ]);
    const zeroMilestones = validApplication();
    zeroMilestones.milestones[0].amount = '0';
    zeroMilestones.milestones[1].amount = '0.000000';
    expect(problems(schema, zeroMilestones)).toEqual([
      'milestones.0.amount not_positive',
      'milestones.1.amount not_positive',
    ]);
  });

  it('accepts https links only', () => {
    const body = {
      ...validApplication(),
      links: [
        'https://github.com/ada',
        'http://example.org',
        'javascript:alert(1)',
        'https://u:p@x.org',
        'nope',
      ],
    };
    expect(problems(schema, body)).toEqual([
      'links.1 invalid_url',
      'links.2 invalid_url',
      'links.3 invalid_url',
      'links.4 invalid_url',
    ]);
  });

  it('requires due dates after the caller’s today', () => {
    const body = validApplication();
    body.milestones[0].dueDate = '2026-12-02';
    expect(problems(schema, body)).toEqual([]);
    expect(
      problems(createApplicationBody({ now: new Date('2027-03-01T00:00:00Z') }), body),
    ).toEqual(['milestones.0.dueDate date_not_in_future']);
  });
});

describe('PATCH /v1/applications/{id}', () => {
  const schema = editApplicationBody(ctx);

  it('returns only the changed fields', () => {
    expect(validateBody(schema, { title: 'New', links: ['https://x.org'] })).toEqual({
      title: 'New',
      links: ['https://x.org'],
    });
  });

  it('converts funding and milestones together', () => {
    const { requestedFunding, milestones } = validApplication();
    expect(validateBody(schema, { requestedFunding, milestones })).toEqual({
      funding: {
        requestedFunding: { asset: 'USDC', amount: 50_000_000_000n },
        milestones: [
          { title: 'Prototype', description: '…', dueDate: '2027-03-01', amount: 20_000_000_000n },
          {
            title: 'Mainnet launch',
            description: '…',
            dueDate: '2027-06-01',
            amount: 30_000_000_000n,
          },
        ],
      },
    });
  });

  it('rejects an empty patch, unknown fields and funding without milestones', () => {
    expect(problems(schema, {})).toEqual(['(body) empty_patch']);
    expect(problems(schema, { status: 'approved' })).toEqual(['status unknown_field']);
    expect(problems(schema, { requestedFunding: { asset: 'USDC', amount: '1' } })).toEqual([
      'milestones required_together',
    ]);
  });

  it('validates present fields like the create body', () => {
    expect(problems(schema, { title: '', payoutAccount: 'x' })).toEqual([
      'title required',
      'payoutAccount invalid_account_id',
    ]);
    expect(problems(schema, { team: [] })).toEqual(['team too_short']);
    expect(
      problems(schema, { requestedFunding: { asset: 'USDC', amount: '1' }, milestones: [] }),
    ).toEqual(['milestones too_short']);
  });
});

describe('POST /v1/applications/{id}/withdraw', () => {
  it('accepts no body, an empty body or a reason', () => {
    expect(validateBody(withdrawApplicationBody, undefined)).toEqual({});
    expect(validateBody(withdrawApplicationBody, {})).toEqual({});
    expect(validateBody(withdrawApplicationBody, { reason: 'other funding' })).toEqual({
      reason: 'other funding',
    });
    expect(problems(withdrawApplicationBody, { why: 1 })).toEqual(['why unknown_field']);
  });
});

describe('POST /v1/applications/{id}/reviewers', () => {
  it('accepts staff subs', () => {
    expect(validateBody(assignReviewersBody, { reviewers: ['rev-alice', 'auth0|bob'] })).toEqual({
      reviewers: ['rev-alice', 'auth0|bob'],
    });
  });

  it('rejects empty, duplicate, whitespace and non-string reviewers', () => {
    expect(problems(assignReviewersBody, { reviewers: [] })).toEqual(['reviewers too_short']);
    expect(problems(assignReviewersBody, { reviewers: ['a', 'b c', 7, 'a'] })).toEqual([
      'reviewers.1 invalid_sub',
      'reviewers.2 invalid_type',
    ]);
    expect(problems(assignReviewersBody, { reviewers: ['a', 'a'] })).toEqual([
      'reviewers.1 duplicate',
    ]);
  });
});

describe('POST /v1/applications/{id}/reviews', () => {
  const review = {
    scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 3 },
    recommendation: 'approve',
    comment: 'solid',
    conflictOfInterest: false,
  };

  it('parses a review', () => {
    expect(validateBody(submitReviewBody, review)).toEqual(review);
  });

  it('parses a conflict declaration without scores', () => {
    expect(validateBody(submitReviewBody, { conflictOfInterest: true })).toEqual({
      conflictOfInterest: true,
    });
    expect(validateBody(submitReviewBody, { ...review, conflictOfInterest: true })).toEqual({
      conflictOfInterest: true,
      comment: 'solid',
    });
  });

  it('requires scores, recommendation and comment otherwise', () => {
    expect(problems(submitReviewBody, {})).toEqual([
      'scores required',
      'recommendation required',
      'comment required',
    ]);
  });

  it('rejects scores outside 1–5, fractions and strings', () => {
    const body = { ...review, scores: { team: 0, technical: 6, impact: 2.5, ecosystemFit: '3' } };
    expect(problems(submitReviewBody, body)).toEqual([
      'scores.team too_small',
      'scores.technical too_big',
      'scores.impact not_integer',
      'scores.ecosystemFit invalid_type',
    ]);
    expect(
      problems(submitReviewBody, { ...review, recommendation: 'maybe', conflictOfInterest: 'no' }),
    ).toEqual(['recommendation invalid_enum', 'conflictOfInterest invalid_type']);
  });
});

describe('POST /v1/applications/{id}/decision', () => {
  const schema = decisionBody();
  const approval = () => ({
    decision: 'approve',
    reason: 'strong',
    grant: {
      asset: 'USDC',
      amount: '45000',
      tranches: [
        { milestone: 1, amount: '15000' },
        { milestone: 2, amount: '30000' },
      ],
    },
  });

  it('parses an approval into base units', () => {
    expect(validateBody(schema, approval())).toEqual({
      decision: 'approve',
      reason: 'strong',
      grant: {
        asset: 'USDC',
        amount: 45_000_000_000n,
        tranches: [
          { milestone: 1, amount: 15_000_000_000n },
          { milestone: 2, amount: 30_000_000_000n },
        ],
      },
    });
  });

  it('parses reject and request_changes with a reason', () => {
    expect(validateBody(schema, { decision: 'reject', reason: 'no' })).toEqual({
      decision: 'reject',
      reason: 'no',
    });
    expect(validateBody(schema, { decision: 'request_changes', reason: 'more' })).toEqual({
      decision: 'request_changes',
      reason: 'more',
    });
  });

  it('requires grant terms for approval, a reason otherwise, and no grant with a rejection', () => {
    expect(problems(schema, { decision: 'approve' })).toEqual(['grant required']);
    expect(problems(schema, { decision: 'reject' })).toEqual(['reason required']);
    expect(problems(schema, { ...approval(), decision: 'request_changes' })).toEqual([
      'grant not_allowed',
    ]);
    expect(problems(schema, { decision: 'maybe' })).toEqual(['decision invalid_enum']);
  });

  it.each(['reject', 'request_changes'])('%s needs a non-blank reason', (decision) => {
    expect(problems(schema, { decision, reason: '  ' })).toEqual(['reason required']);
  });

  it('refuses a zero grant, no tranches, zero tranches and milestone numbers that are not 1–20', () => {
    const zero = approval();
    zero.grant.amount = '0';
    zero.grant.tranches[1].amount = '0';
    expect(problems(schema, zero)).toEqual([
      'grant.amount not_positive',
      'grant.tranches.1.amount not_positive',
    ]);
    const none = approval();
    none.grant.tranches = [];
    expect(problems(schema, none)).toEqual(['grant.tranches too_short']);
    const numbers = approval();
    numbers.grant.tranches = [
      { milestone: -1, amount: '1' },
      { milestone: 1.5, amount: '1' },
      { milestone: 21, amount: '1' },
    ];
    expect(problems(schema, numbers)).toEqual([
      'grant.tranches.0.milestone too_small',
      'grant.tranches.1.milestone not_integer',
      'grant.tranches.2.milestone too_big',
    ]);
  });

  it('checks tranche sums, duplicates, milestone numbers and decimals', () => {
    const body = approval();
    body.grant.tranches = [
      { milestone: 1, amount: '15000' },
      { milestone: 1, amount: '29999.9999999' },
      { milestone: 0, amount: '1' },
    ];
    expect(problems(schema, body)).toEqual([
      'grant.tranches.2.milestone too_small',
      'grant.tranches.1.milestone duplicate',
      'grant.tranches.1.amount too_many_decimals',
    ]);
    // Whether the tranches sum to the amount is the decider's rule (tranche_sum_mismatch).
    const mismatch = approval();
    mismatch.grant.tranches[1].amount = '29999.99';
    expect(problems(schema, mismatch)).toEqual([]);
  });
});

describe('validateBody property tests', () => {
  const schemas = {
    create: createApplicationBody(ctx),
    edit: editApplicationBody(ctx),
    withdraw: withdrawApplicationBody,
    reviewers: assignReviewersBody,
    review: submitReviewBody,
    decision: decisionBody(),
  };

  it('never throws anything but ValidationProblem on random JSON', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(schemas)), fc.jsonValue(), (schema, json) => {
        try {
          validateBody(schema, json);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationProblem);
          expect((error as ValidationProblem).errors!.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but ValidationProblem when one field of a valid body is replaced', () => {
    const keys = Object.keys(validApplication());
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
        try {
          validateBody(schemas.create, { ...validApplication(), [key]: value });
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationProblem);
        }
      }),
      { numRuns: 300 },
    );
  });

  const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.'-]{0,40}[A-Za-z0-9]$/);
  const accountId = fc.oneof(
    fc.stringMatching(/^[a-z0-9]{2,20}(\.[a-z0-9]{1,10}){0,2}$/),
    fc.stringMatching(/^[0-9a-f]{64}$/),
    fc.stringMatching(/^0x[0-9a-f]{40}$/),
  );
  const futureDay = fc.integer({ min: 1, max: 3650 }).map((days) => {
    const d = new Date(now.getTime() + days * 86_400_000);
    return d.toISOString().slice(0, 10);
  });
  const validBody = fc
    .record({
      title: word,
      summary: word,
      category: fc.constantFrom(
        'agents',
        'infrastructure',
        'data',
        'model-training',
        'consumer-app',
        'research',
        'other',
      ),
      team: fc.array(fc.record({ name: word, role: word }), { minLength: 1, maxLength: 20 }),
      asset: fc.constantFrom({ code: 'USDC', decimals: 6 }, { code: 'NEAR', decimals: 24 }),
      payoutAccount: accountId,
      milestones: fc.array(
        fc.record({
          title: word,
          description: word,
          dueDate: futureDay,
          units: fc.bigInt({ min: 1n, max: 10n ** 30n }),
        }),
        { minLength: 1, maxLength: 20 },
      ),
    })
    .map(({ asset: { code: asset, decimals }, milestones, ...rest }) => ({
      ...rest,
      requestedFunding: {
        asset,
        amount: baseUnitsToDecimal(
          milestones.reduce((sum, m) => sum + m.units, 0n),
          decimals,
        ),
      },
      milestones: milestones.map(({ units, ...m }) => ({
        ...m,
        amount: baseUnitsToDecimal(units, decimals),
      })),
    }));

  it('valid bodies round-trip: parse → format back gives the same body', () => {
    fc.assert(
      fc.property(validBody, (input) => {
        const parsed = validateBody(schemas.create, input);
        const decimals = input.requestedFunding.asset === 'NEAR' ? 24 : 6;
        const { links, ...formatted } = {
          ...parsed,
          requestedFunding: {
            asset: parsed.requestedFunding.asset,
            amount: baseUnitsToDecimal(parsed.requestedFunding.amount, decimals),
          },
          milestones: parsed.milestones.map((m) => ({
            ...m,
            amount: baseUnitsToDecimal(m.amount, decimals),
          })),
        };
        expect(links).toEqual([]);
        expect(formatted).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });
});
