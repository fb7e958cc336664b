import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import {
  commandAnswerHeaders,
  commandHeaders,
  jsonBody,
  jsonResponse,
  listResponse,
  problemResponses,
} from '@lib/platform';
import {
  approveBody,
  cancelBody,
  disbursementIdParam,
  holdBody,
  liftHoldBody,
  listQuery,
  retryBody,
} from './disbursement/disbursement.dto';
import {
  DISBURSEMENT_CSV_COLUMNS,
  disbursementPageSchema,
  disbursementViewSchema,
} from './disbursement/disbursement-view.dto';
import {
  pauseBody,
  resumeBody,
  runBody,
  runResultSchema,
  treasuryViewSchema,
} from './treasury/treasury.dto';

// The disbursements and treasury routes for the gateway's OpenAPI document, from the schemas the
// controllers validate with.

/** Example bodies the service accepts, by operation id. */
export const openApiExamples = {
  approveDisbursement: { comment: 'Milestone evidence checked.' },
  holdDisbursement: { reason: 'Waiting for the founder to confirm the wallet.' },
  releaseDisbursementHold: { comment: 'Confirmed by call.' },
  cancelDisbursement: { reason: 'Duplicate tranche.' },
  retryDisbursement: {},
  runTreasury: {},
  pauseTreasury: { reason: 'Investigating an incident.' },
  resumeTreasury: {},
} as const;

const disbursementAnswer = (description: string) =>
  jsonResponse(description, disbursementViewSchema, commandAnswerHeaders());

const change = (
  action: 'approve' | 'hold' | 'release' | 'cancel' | 'retry',
  operationId: keyof typeof openApiExamples,
  summary: string,
  description: string,
  schema: z.ZodTypeAny,
  required: boolean,
): RouteConfig => ({
  method: 'post',
  path: `/v1/disbursements/{id}/${action}`,
  operationId,
  tags: ['disbursements'],
  summary,
  description: `${description} Role: treasurer.`,
  request: {
    params: disbursementIdParam,
    headers: commandHeaders({ ifMatch: true }),
    body: jsonBody(schema, { required, example: openApiExamples[operationId] }),
  },
  responses: {
    '200': disbursementAnswer('The disbursement after the change.'),
    ...problemResponses([400, 401, 403, 404, 409, 422]),
  },
});

const treasuryAnswer = jsonResponse(
  'The treasury state, policy, limit usage and what is pending.',
  treasuryViewSchema,
);

export const openApiRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/v1/disbursements',
    operationId: 'listDisbursements',
    tags: ['disbursements'],
    summary: 'Disbursements, newest first (treasurer, admin)',
    request: { query: listQuery },
    responses: {
      '200': listResponse(
        'A page of disbursements; or, with `format=csv` or `Accept: text/csv`, every matching row (same filters, no page limit) streamed as CSV.',
        disbursementPageSchema,
        `RFC 4180 with a header line: ${DISBURSEMENT_CSV_COLUMNS.map((c) => c.header).join(', ')}. Lists (approvedBy, txHashes) are space-separated.`,
      ),
      ...problemResponses([400, 401, 403]),
    },
  },
  {
    method: 'get',
    path: '/v1/disbursements/{id}',
    operationId: 'getDisbursement',
    tags: ['disbursements'],
    summary: 'One disbursement with approvals, attempts and transaction hashes (treasurer, admin)',
    request: { params: disbursementIdParam },
    responses: {
      '200': jsonResponse('The disbursement.', disbursementViewSchema, commandAnswerHeaders()),
      ...problemResponses([401, 403, 404]),
    },
  },
  change(
    'approve',
    'approveDisbursement',
    'Approve a disbursement',
    'Bound to its amount, asset and receiver; at or above the asset’s dual-approval threshold two ' +
      'different treasurers must approve. The milestone’s acceptor and the founder may not (403).',
    approveBody,
    false,
  ),
  change(
    'hold',
    'holdDisbursement',
    'Hold an unreleased disbursement',
    'Treasury runs skip it (`held`).',
    holdBody,
    true,
  ),
  change(
    'release',
    'releaseDisbursementHold',
    'Lift a hold',
    'The disbursement goes back to where it was.',
    liftHoldBody,
    false,
  ),
  change(
    'cancel',
    'cancelDisbursement',
    'Cancel a disbursement that was not released',
    'A released one settles or fails as the chain says (409 `already_released`).',
    cancelBody,
    true,
  ),
  change(
    'retry',
    'retryDisbursement',
    'Retry a failed disbursement',
    'The next treasury run releases it as attempt + 1; approvals are kept unless the receiver changed.',
    retryBody,
    false,
  ),
  {
    method: 'get',
    path: '/v1/treasury',
    operationId: 'getTreasury',
    tags: ['treasury'],
    summary:
      'Pause state, policy, rolling 24 h limit usage, pending totals, discrepancies (treasurer, admin)',
    responses: { '200': treasuryAnswer, ...problemResponses([401, 403]) },
  },
  {
    method: 'post',
    path: '/v1/treasury/runs',
    operationId: 'runTreasury',
    tags: ['treasury'],
    summary: 'Run the disbursement job now (treasurer)',
    description:
      'Releases approved disbursements in approval order that pass every gate; answers what it ' +
      'released and why each other approved one waits (`paused`, `held`, `grant_not_active`, ' +
      '`kyc`, `payout_account_cooldown`, `approvals`, `daily_limit`). One run at a time: a second ' +
      'call waits for the first (409 `run_in_progress` after 30 s).',
    request: {
      headers: commandHeaders({ ifMatch: false }),
      body: jsonBody(runBody, { required: false, example: openApiExamples.runTreasury }),
    },
    responses: {
      '200': jsonResponse('What was released and what waits.', runResultSchema),
      ...problemResponses([401, 403, 409, 422]),
    },
  },
  {
    method: 'post',
    path: '/v1/treasury/pause',
    operationId: 'pauseTreasury',
    tags: ['treasury'],
    summary: 'Freeze releases at once (one treasurer)',
    request: {
      headers: commandHeaders({ ifMatch: false }),
      body: jsonBody(pauseBody, { required: false, example: openApiExamples.pauseTreasury }),
    },
    responses: { '200': treasuryAnswer, ...problemResponses([401, 403, 409, 422]) },
  },
  {
    method: 'post',
    path: '/v1/treasury/resume',
    operationId: 'resumeTreasury',
    tags: ['treasury'],
    summary: 'Resume releases (two different treasurers after a reconciliation discrepancy)',
    description:
      'After a discrepancy the first call records the agreement (`paused` stays true, ' +
      '`resume.approvals` lists it) and a second, different treasurer resumes.',
    request: {
      headers: commandHeaders({ ifMatch: false }),
      body: jsonBody(resumeBody, { required: false, example: openApiExamples.resumeTreasury }),
    },
    responses: { '200': treasuryAnswer, ...problemResponses([401, 403, 409, 422]) },
  },
];
