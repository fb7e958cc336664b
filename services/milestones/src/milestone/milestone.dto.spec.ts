import { ProblemError, ValidationProblem } from '@lib/platform';
import { parseMilestonePath, parseReview, parseSubmission } from './milestone.dto';

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationProblem);
    return (error as ValidationProblem).errors!.map((e) => `${e.field}:${e.code}`);
  }
  throw new Error('expected a ValidationProblem');
};

describe('milestone request schemas', () => {
  it('a submission: NFC-trimmed summary and 1–10 https links', () => {
    expect(
      parseSubmission({
        summary: '  Cafe\u0301 demo ',
        evidenceUrls: ['https://github.com/ada/x'],
      }),
    ).toEqual({ summary: 'Café demo', evidenceUrls: ['https://github.com/ada/x'] });
  });

  it('lists every field problem of a submission at once', () => {
    expect(
      problemsOf(() =>
        parseSubmission({
          summary: '   ',
          evidenceUrls: ['http://example.org', 'https://user:pw@example.org', 'not a url', 7],
          extra: true,
        }),
      ),
    ).toEqual([
      'summary:required',
      'evidenceUrls.0:invalid_url',
      'evidenceUrls.1:invalid_url',
      'evidenceUrls.2:invalid_url',
      'evidenceUrls.3:invalid_type',
      'extra:unknown_field',
    ]);
    expect(problemsOf(() => parseSubmission({ summary: 'x', evidenceUrls: [] }))).toEqual([
      'evidenceUrls:too_short',
    ]);
    const eleven = Array.from({ length: 11 }, (_, i) => `https://example.org/${i}`);
    expect(problemsOf(() => parseSubmission({ summary: 'x', evidenceUrls: eleven }))).toEqual([
      'evidenceUrls:too_long',
    ]);
    expect(problemsOf(() => parseSubmission(null))).toEqual(['(body):invalid_type']);
  });

  it('a rejection needs a comment, reported beside every other problem', () => {
    expect(problemsOf(() => parseReview({ decision: 'reject' }))).toEqual(['comment:required']);
    expect(problemsOf(() => parseReview({ decision: 'reject', extra: 1 }))).toEqual([
      'extra:unknown_field',
      'comment:required',
    ]);
    expect(problemsOf(() => parseReview({ decision: 'maybe' }))).toEqual(['decision:invalid_enum']);
    expect(parseReview({ decision: 'reject', comment: ' Private repo ' })).toEqual({
      decision: 'reject',
      comment: 'Private repo',
    });
    expect(parseReview({ decision: 'accept' })).toEqual({ decision: 'accept' });
  });

  it('path: a milestone is 1–20 of a uuid grant; anything else is a 404', () => {
    const id = '5b0c2a8e-4f7d-4a57-9a57-1f1d2c3b4a59';
    expect(parseMilestonePath({ id, n: '20' })).toEqual({ grantId: id, number: 20 });
    for (const n of ['0', '21', '01', '1.0', '-1', 'x']) {
      expect(() => parseMilestonePath({ id, n })).toThrow(ProblemError);
    }
  });
});
