import { validateBody, ValidationProblem } from '@lib/platform';
import { approvePayoutAccountBody, cancelBody, LIMITS } from './grant.dto';

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    expect((error as ValidationProblem).status).toBe(422);
    return (error as ValidationProblem).errors!.map((e) => `${e.field}:${e.code}:${e.message}`);
  }
  throw new Error('expected a ValidationProblem');
};

describe('grant request schemas', () => {
  it('a cancellation needs a non-blank reason (the DTO owns the rule), NFC-trimmed', () => {
    for (const reason of ['', '   ', '\n\t ']) {
      expect(problemsOf(() => validateBody(cancelBody, { reason }))).toEqual([
        'reason:required:must not be empty',
      ]);
    }
    expect(problemsOf(() => validateBody(cancelBody, {}))).toEqual([
      expect.stringMatching(/^reason:required:/),
    ]);
    expect(validateBody(cancelBody, { reason: '  Cafe\u0301 closed\n' })).toEqual({
      reason: 'Café closed',
    });
    expect(
      problemsOf(() => validateBody(cancelBody, { reason: 'x'.repeat(LIMITS.reason + 1) })),
    ).toEqual([`reason:too_long:at most ${LIMITS.reason} characters`]);
  });

  it('an approval of a payout-account change names the account', () => {
    expect(validateBody(approvePayoutAccountBody, { payoutAccount: 'next.near' })).toEqual({
      payoutAccount: 'next.near',
    });
    expect(problemsOf(() => validateBody(approvePayoutAccountBody, {}))).toEqual([
      expect.stringMatching(/^payoutAccount:required:/),
    ]);
    expect(
      problemsOf(() => validateBody(approvePayoutAccountBody, { payoutAccount: 'Not An Id' })),
    ).toEqual([expect.stringMatching(/^payoutAccount:/)]);
  });
});
