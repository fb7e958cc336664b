import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  commandAnswerHeaders,
  commandHeaders,
  jsonBody,
  jsonResponse,
  listResponse,
  problemResponses,
} from '@lib/platform';
import {
  acceptanceChallengeBody,
  approvePayoutAccountBody,
  cancelBody,
  grantIdParams,
  kycBody,
  listGrantsQuery,
  payoutAccountChallengeBody,
  signedMessageBody,
} from './grant/grant.dto';
import {
  GRANT_CSV_HEADERS,
  grantListSchema,
  grantViewSchema,
  proofChallengeSchema,
} from './grant/grant-view.dto';

// The grants routes as data, from the same zod schemas the controller validates with; the
// gateway merges them into /openapi.json.

const DESCRIPTIONS: Partial<Record<number, string>> = {
  403: 'Wrong role, or a proof refused (`proof_*`: key not held by the account, bad signature, message, recipient or nonce not as issued; `signer_not_payout_account`).',
  404: 'No such grant (also another founder’s grant).',
  409: 'Wrong state (`not_awarded`, `grant_closed`, `no_payout_account_change`, `payout_account_unchanged`, `terms_changed`) or a stale If-Match (`version_conflict`).',
  503: 'NEAR RPC could not confirm the key; retry.',
};
const problems = (...statuses: number[]) => problemResponses(statuses, DESCRIPTIONS);

const grantAnswer = (description: string) => ({
  200: jsonResponse(description, grantViewSchema, commandAnswerHeaders()),
});
const challengeAnswer = {
  200: jsonResponse(
    'A NEP-413 challenge: sign `message` for `recipient` with `nonce` (single use, until `expiresAt`).',
    proofChallengeSchema,
  ),
};
const changeHeaders = commandHeaders({ ifMatch: true });
const challengeHeaders = commandHeaders({ ifMatch: false });

/** A wallet's signMessage result (shape only: a real one signs an issued challenge). */
const signedExample = {
  accountId: 'ada-payout.near',
  publicKey: 'ed25519:8hSHprDq2StXwMtNd43wDTXQYsjXcD4MJTXQYsjXcc7F',
  signature: Buffer.alloc(64, 7).toString('base64'),
  nonce: Buffer.alloc(32, 9).toString('base64'),
  message: 'Accept grant … Terms sha256: … Expires at ….',
  recipient: 'incubator.near',
};

export const openApiRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/v1/grants',
    tags: ['grants'],
    summary:
      'Grants: founders their own, staff all (filters status and asset; cursor pages; CSV export)',
    request: { query: listGrantsQuery },
    responses: {
      200: listResponse(
        'Newest award first: one page; or, with `format=csv` or `Accept: text/csv`, every matching row (same filters, founders their own) streamed as CSV.',
        grantListSchema,
        `RFC 4180 with a header line: ${GRANT_CSV_HEADERS.join(', ')} (amount as a decimal string of the asset).`,
      ),
      ...problems(400, 401, 403),
    },
  },
  {
    method: 'get',
    path: '/v1/grants/{id}',
    tags: ['grants'],
    summary: 'One grant: terms, payout account in force, per tranche milestone/disbursement/payout',
    request: { params: grantIdParams },
    responses: { ...grantAnswer('The grant'), ...problems(401, 403, 404) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/acceptance-challenge',
    tags: ['grants'],
    summary: 'A challenge naming the grant and the sha256 of its terms (founder of the grant)',
    request: {
      params: grantIdParams,
      headers: challengeHeaders,
      body: jsonBody(acceptanceChallengeBody, { required: false, example: {} }),
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
    request: {
      params: grantIdParams,
      headers: changeHeaders,
      body: jsonBody(signedMessageBody, { example: signedExample }),
    },
    responses: { ...grantAnswer('Active'), ...problems(400, 401, 403, 404, 409, 422, 503) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/payout-account-challenge',
    tags: ['grants'],
    summary: 'A challenge the proposed new payout account signs (founder of the grant)',
    request: {
      params: grantIdParams,
      headers: challengeHeaders,
      body: jsonBody(payoutAccountChallengeBody, { example: { accountId: 'ada-new.near' } }),
    },
    responses: { ...challengeAnswer, ...problems(401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/payout-account',
    tags: ['grants'],
    summary: 'Propose a new payout account, proven by its own NEP-413 signature',
    description: 'Awaits an admin’s approval; the account in force does not change yet.',
    request: {
      params: grantIdParams,
      headers: changeHeaders,
      body: jsonBody(signedMessageBody, {
        example: { ...signedExample, accountId: 'ada-new.near' },
      }),
    },
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
    description:
      'Effective at approval + PAYOUT_ACCOUNT_COOLDOWN_HOURS (default 48). The body names the ' +
      'account approved; if another proposal has replaced it since, the answer is 409 ' +
      '`payout_account_mismatch` and nothing changes.',
    request: {
      params: grantIdParams,
      headers: changeHeaders,
      body: jsonBody(approvePayoutAccountBody, { example: { payoutAccount: 'new-payout.near' } }),
    },
    responses: { ...grantAnswer('Scheduled'), ...problems(400, 401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/kyc',
    tags: ['grants'],
    summary: 'Record the KYC status, with an optional expiry for a verification (admin)',
    request: {
      params: grantIdParams,
      headers: changeHeaders,
      body: jsonBody(kycBody, { example: { status: 'verified', expiresAt: '2027-12-31' } }),
    },
    responses: { ...grantAnswer('Recorded'), ...problems(400, 401, 403, 404, 409, 422) },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/cancel',
    tags: ['grants'],
    summary: 'Cancel the grant with a reason (admin); not from completed or cancelled',
    request: {
      params: grantIdParams,
      headers: changeHeaders,
      body: jsonBody(cancelBody, { example: { reason: 'The team dissolved' } }),
    },
    responses: { ...grantAnswer('Cancelled'), ...problems(400, 401, 403, 404, 409, 422) },
  },
];
