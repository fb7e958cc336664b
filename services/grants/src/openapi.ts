import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  acceptanceChallengeBody,
  approvePayoutAccountBody,
  cancelBody,
  grantIdParams,
  kycBody,
  listGrantsQuery,
  mutationHeaders,
  payoutAccountChallengeBody,
  signedMessageBody,
} from './grant/grant.dto';
import { grantListSchema, grantViewSchema, proofChallengeSchema } from './grant/grant-view.dto';

// The grants routes as data, from the same zod schemas the controller validates with; the
// gateway merges them into /openapi.json.

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
      .optional(),
  })
  .describe('application/problem+json');

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed header, query or cursor (every problem listed)',
  401: 'No valid bearer token',
  403: 'Wrong role, or a proof refused (`proof_*`: key not held, bad signature, message or nonce not as issued; `signer_not_payout_account`)',
  404: 'No such grant (also another founder’s grant)',
  409: 'Wrong state (`not_awarded`, `grant_closed`, `no_payout_account_change`) or a stale If-Match (`version_conflict`)',
  422: 'Invalid body (every field problem listed)',
  503: 'NEAR RPC could not confirm the key; retry',
};

const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: problem } },
      },
    ]),
  );

const etag = z.object({ etag: z.string().describe('The grant version, e.g. "3"') });
const json = <S extends z.ZodTypeAny>(schema: S, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});
const grantAnswer = (description: string) => ({
  200: { description, headers: etag, content: { 'application/json': { schema: grantViewSchema } } },
});
const challengeAnswer = {
  200: {
    description: 'A NEP-413 challenge: sign `message` for `recipient` with `nonce` (single use)',
    content: { 'application/json': { schema: proofChallengeSchema } },
  },
};

export const openApiRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/v1/grants',
    tags: ['grants'],
    summary: 'Grants: founders their own, staff all (filters status and asset; cursor pages)',
    request: { query: listGrantsQuery },
    responses: {
      200: {
        description: 'Newest award first',
        content: { 'application/json': { schema: grantListSchema } },
      },
      ...problems(400, 401),
    },
  },
  {
    method: 'get',
    path: '/v1/grants/{id}',
    tags: ['grants'],
    summary: 'One grant: terms, payout account in force, per tranche milestone/disbursement/payout',
    request: { params: grantIdParams },
    responses: { ...grantAnswer('The grant'), ...problems(401, 404) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/acceptance-challenge',
    tags: ['grants'],
    summary: 'A challenge naming the grant and the sha256 of its terms (founder of the grant)',
    request: {
      params: grantIdParams,
      headers: mutationHeaders.pick({ 'idempotency-key': true }),
      body: json(acceptanceChallengeBody, false),
    },
    responses: { ...challengeAnswer, ...problems(401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/accept',
    tags: ['grants'],
    summary: 'Accept the terms with the payout account’s NEP-413 signature → active',
    description:
      'The signature must come from a full-access key of the payout account in force, over the ' +
      'message and nonce the acceptance challenge issued (once).',
    request: { params: grantIdParams, headers: mutationHeaders, body: json(signedMessageBody) },
    responses: { ...grantAnswer('Active'), ...problems(400, 401, 403, 404, 409, 422, 503) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/payout-account-challenge',
    tags: ['grants'],
    summary: 'A challenge the proposed new payout account signs (founder of the grant)',
    request: {
      params: grantIdParams,
      headers: mutationHeaders.pick({ 'idempotency-key': true }),
      body: json(payoutAccountChallengeBody),
    },
    responses: { ...challengeAnswer, ...problems(401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/payout-account',
    tags: ['grants'],
    summary: 'Propose a new payout account, proven by its own NEP-413 signature',
    description: 'Awaits an admin’s approval; the account in force does not change yet.',
    request: { params: grantIdParams, headers: mutationHeaders, body: json(signedMessageBody) },
    responses: {
      ...grantAnswer('Awaiting approval'),
      ...problems(400, 401, 403, 404, 409, 422, 503),
    },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/payout-account/approve',
    tags: ['grants'],
    summary: 'Approve the proposed payout account (admin); in force after the cool-down',
    description: 'Effective at approval + PAYOUT_ACCOUNT_COOLDOWN_HOURS (default 48).',
    request: {
      params: grantIdParams,
      headers: mutationHeaders,
      body: json(approvePayoutAccountBody, false),
    },
    responses: { ...grantAnswer('Scheduled'), ...problems(400, 401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/kyc',
    tags: ['grants'],
    summary: 'Record the KYC status, with an optional expiry for a verification (admin)',
    request: { params: grantIdParams, headers: mutationHeaders, body: json(kycBody) },
    responses: { ...grantAnswer('Recorded'), ...problems(400, 401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/cancel',
    tags: ['grants'],
    summary: 'Cancel the grant with a reason (admin); not from completed or cancelled',
    request: { params: grantIdParams, headers: mutationHeaders, body: json(cancelBody) },
    responses: { ...grantAnswer('Cancelled'), ...problems(400, 401, 403, 404, 409, 422) },
  },
];
