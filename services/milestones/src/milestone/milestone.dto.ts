import { z } from 'zod';
import {
  addProblem,
  checkedBody,
  commaList,
  enumOf,
  ProblemError,
  raw,
  requiredString,
  text as platformText,
  validateBody,
} from '@lib/platform';
import { MILESTONE_STATUSES } from './milestone';
import type { ReviewInput } from './milestone.decider';

// HTTP requests of DESIGN.md §7 for milestones → command data. These schemas are the one
// description of each request: the controller validates with them and openapi.ts documents them.
// Strings are NFC-normalised and trimmed; every field problem is listed in one 422.

export const LIMITS = { summary: 5000, comment: 5000, url: 2000, evidenceUrls: 10 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i; // as the contracts (zod uuid)

/** NFC-normalised, trimmed text of 1..max code points (tab and line breaks allowed). */
const text = (max: number) => platformText(max, { multiline: true });

// Not @lib/platform's httpsUrl: that one trims and normalises; this API refuses a padded URL.
const httpsUrl = () =>
  requiredString()
    .max(LIMITS.url, `at most ${LIMITS.url} characters`)
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return addProblem(ctx, 'invalid_url', 'must be an absolute https URL');
      }
      if (url.protocol !== 'https:' || !url.hostname || value !== value.trim()) {
        addProblem(ctx, 'invalid_url', 'must be an absolute https URL');
      } else if (url.username || url.password) {
        addProblem(ctx, 'invalid_url', 'must not carry credentials');
      }
    });

const bodyObject = { invalid_type_error: 'body must be a JSON object', required_error: 'required' };

////////// POST /v1/grants/{id}/milestones/{n}/submissions

export const submitMilestoneBody = z
  .object(
    {
      summary: text(LIMITS.summary).describe('What was delivered (1–5000 characters).'),
      evidenceUrls: z
        .array(httpsUrl(), { required_error: 'required', invalid_type_error: 'must be an array' })
        .min(1, 'at least one evidence link')
        .max(LIMITS.evidenceUrls, `at most ${LIMITS.evidenceUrls} evidence links`)
        .describe('1–10 absolute https links: repository, demo, report.'),
    },
    bodyObject,
  )
  .strict()
  .describe('A milestone report; a rejected milestone is resubmitted the same way.');

////////// POST /v1/grants/{id}/milestones/{n}/review

export const reviewMilestoneBody = z
  .object(
    {
      decision: enumOf(['accept', 'reject']).describe(
        '`accept` (the tranche becomes payable) or `reject` (the founder may resubmit).',
      ),
      comment: text(LIMITS.comment)
        .optional()
        .describe('Required to reject; optional with an acceptance.'),
    },
    bodyObject,
  )
  .strict();

/**
 * The review body with its cross-field rule (a rejection needs a comment), checked on the raw
 * input beside the schema so one answer lists every problem; a clean body is the review.
 */
const reviewBody = checkedBody(
  reviewMilestoneBody,
  (input, report) => {
    if (raw.string(input, 'decision') === 'reject' && raw.record(input)?.comment === undefined) {
      report('required', 'a comment is required to reject', ['comment']);
    }
  },
  (parsed): ReviewInput =>
    parsed.decision === 'reject'
      ? { decision: 'reject', comment: parsed.comment! }
      : {
          decision: 'accept',
          ...(parsed.comment !== undefined ? { comment: parsed.comment } : {}),
        },
);

/** `POST …/review` → the review (comment guaranteed on a rejection). */
export const parseReview = (input: unknown): ReviewInput => validateBody(reviewBody, input);

/** `POST …/submissions` → the submission. */
export const parseSubmission = (input: unknown) => validateBody(submitMilestoneBody, input);

////////// path, query and headers

export const grantPathParams = z.object({
  id: z.string().regex(UUID).describe('Grant id (the id of the application it was awarded from).'),
});

export const milestonePathParams = grantPathParams.extend({
  n: z
    .string()
    .regex(/^(?:[1-9]|1\d|20)$/)
    .describe('Milestone (= tranche) number, 1–20.'),
});

export const listMilestonesQuery = z
  .object({
    status: commaList(MILESTONE_STATUSES, 200)
      .optional()
      .describe('Comma-separated statuses to keep, e.g. `submitted`.'),
  })
  .strict();

/** `{ id, n }` → grant id and tranche number; anything else is a 404 (there is no such milestone). */
export function parseMilestonePath(params: { id?: unknown; n?: unknown }): {
  grantId: string;
  number: number;
} {
  const parsed = milestonePathParams.safeParse(params);
  if (!parsed.success) throw new ProblemError(404, 'milestone_not_found', 'no such milestone');
  return { grantId: parsed.data.id, number: Number(parsed.data.n) };
}

export function parseGrantPath(params: { id?: unknown }): string {
  const parsed = grantPathParams.safeParse(params);
  if (!parsed.success) throw new ProblemError(404, 'grant_not_found', 'no such grant');
  return parsed.data.id;
}

export function parseListQuery(query: unknown) {
  return validateBody(listMilestonesQuery, query, 400);
}
