import { randomBytes } from 'node:crypto';
import { applicationBody, type Harness, startHarness } from './harness';

// The asset registry comes from the service's NEAR config, and sums are the decider's rule.
describe('assets from NEAR_EXTRA_TOKENS, sums from the decider', () => {
  let h: Harness;
  let founder: { accountId: string; token: string };
  const symbol = `W${randomBytes(3).toString('hex').toUpperCase()}`;

  beforeAll(async () => {
    h = await startHarness({
      NEAR_EXTRA_TOKENS: JSON.stringify([
        { symbol, decimals: 8, contractId: `${symbol.toLowerCase()}.test.near` },
      ]),
    });
    founder = await h.signInFounder();
  });

  afterAll(async () => {
    await h?.close();
  });

  const create = (body: object) =>
    h.api().post('/v1/applications').set('authorization', `Bearer ${founder.token}`).send(body);

  const inToken = (amounts: [string, string, string]) => {
    const body = applicationBody(founder.accountId);
    return {
      ...body,
      requestedFunding: { asset: symbol, amount: amounts[0] },
      milestones: [
        { ...body.milestones[0], amount: amounts[1] },
        { ...body.milestones[1], amount: amounts[2] },
      ],
    };
  };

  it('accepts a configured token as the requested asset, with its own decimals', async () => {
    const created = await create(inToken(['0.5', '0.25', '0.25'])).expect(201);
    expect(created.body.requestedFunding).toEqual({ asset: symbol, amount: '0.5' });
    expect(created.body.milestones.map((m: { amount: string }) => m.amount)).toEqual([
      '0.25',
      '0.25',
    ]);
    const read = await h
      .api()
      .get(`/v1/applications/${created.body.id as string}`)
      .set('authorization', `Bearer ${founder.token}`)
      .expect(200);
    expect(read.body.requestedFunding).toEqual({ asset: symbol, amount: '0.5' });
  });

  it('holds the token to its decimals (8)', async () => {
    const answer = await create(inToken(['0.000000001', '0.0000000005', '0.0000000005']));
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'requestedFunding.amount', code: 'too_many_decimals' }),
      ]),
    );
  });

  it('milestone amounts that do not sum to the request are the decider’s milestones_sum_mismatch', async () => {
    const answer = await create(inToken(['1', '0.5', '0.4']));
    expect(answer.status).toBe(422);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.body.code).toBe('milestones_sum_mismatch');
    expect(answer.body.errors).toEqual([
      expect.objectContaining({ field: 'milestones', code: 'sum_mismatch' }),
    ]);
  });
});
