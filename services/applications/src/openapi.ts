import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { createAssetRegistry } from '@lib/near';
import {
  commandAnswerHeaders,
  commandHeaders,
  jsonBody,
  jsonResponse,
  listResponse,
  problemResponses,
} from '@lib/platform';
import { listQuery } from './application/application.controller';
import {
  assetDecimalsOf,
  assignReviewersBody,
  type BodyContext,
  createApplicationBody,
  decisionBody,
  editApplicationBody,
  submitReviewBody,
  withdrawApplicationBody,
} from './application/application.dto';
import { applicationPageSchema, applicationViewSchema } from './application/application-view.dto';
import { challengeBody, verifyBody } from './signin/signin.controller';

// The applications routes for the gateway's OpenAPI document, from the schemas the controllers
// validate with. Assets: the registry of a default deployment (NEAR, USDC); NEAR_EXTRA_TOKENS adds
// more at run time.

const assets = createAssetRegistry({ network: 'local' });
const context: BodyContext = {
  get now() {
    return new Date();
  },
  assetDecimals: assetDecimalsOf(assets),
  assetCodes: assets.list().map((a) => a.symbol),
};

// Examples are bodies the service accepts (the document test parses them with these schemas).
const createExample = {
  title: 'Verifiable inference on NEAR',
  summary: 'Proofs of model execution settled on NEAR.',
  category: 'agents',
  team: [{ name: 'Ada', role: 'CEO', contact: 'ada@example.org' }],
  requestedFunding: { asset: 'USDC', amount: '50000' },
  payoutAccount: 'ada.near',
  milestones: [
    {
      title: 'Prototype',
      description: 'Runs end to end',
      dueDate: '2030-03-01',
      amount: '20000',
    },
    { title: 'Mainnet', description: 'Live on mainnet', dueDate: '2030-09-01', amount: '30000' },
  ],
  links: ['https://github.com/ada/inference'],
};

const examples = {
  create: createExample,
  edit: {
    ...createExample,
    title: 'Verifiable inference on NEAR, v2',
    requestedFunding: { asset: 'USDC', amount: '40000' },
    milestones: [{ ...createExample.milestones[0], amount: '40000' }],
  },
  withdraw: { reason: 'Funded elsewhere.' },
  reviewers: { reviewers: ['rev-alice', 'rev-bob'] },
  review: {
    scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 3 },
    recommendation: 'approve',
    comment: 'Strong team, clear milestones.',
    conflictOfInterest: false,
  },
  decision: {
    decision: 'approve',
    reason: 'Strong reviews.',
    grant: {
      asset: 'USDC',
      amount: '45000',
      tranches: [
        { milestone: 1, amount: '15000' },
        { milestone: 2, amount: '30000' },
      ],
    },
  },
  challenge: { accountId: 'ada.near' },
  verify: {
    accountId: 'ada.near',
    publicKey: 'ed25519:8hSHprDq2StXwMtNd43wDTXQYsjXcD4MJTXQYsjXcc7F',
    signature: Buffer.alloc(64, 1).toString('base64'),
    nonce: Buffer.alloc(32, 2).toString('base64'),
    message: 'Sign in to the incubator',
    recipient: 'incubator.near',
  },
} as const;

/** Example bodies of the routes, by operation id (the gateway's tests start from them). */
export const openApiExamples = examples;

const idParams = z.object({
  id: z.string().uuid().openapi({ description: 'Application id (UUID); anything else is a 404.' }),
});

const applicationAnswer = (description: string, created = false) =>
  jsonResponse(description, applicationViewSchema, commandAnswerHeaders({ created }));

/** Problems every command on an existing application may answer. */
const changeProblems = problemResponses([400, 401, 403, 404, 409, 422]);

const change = (
  path: string,
  operationId: string,
  summary: string,
  body?: { schema: z.ZodTypeAny; required?: boolean; example: unknown },
): RouteConfig => ({
  method: path === '/v1/applications/{id}' ? 'patch' : 'post',
  path,
  operationId,
  tags: ['applications'],
  summary,
  request: {
    params: idParams,
    headers: commandHeaders({ ifMatch: true }),
    ...(body ? { body: jsonBody(body.schema, body) } : {}),
  },
  responses: { '200': applicationAnswer('The application after the change.'), ...changeProblems },
});

const signInChallenge = z
  .object({
    message: z.string(),
    recipient: z.string().openapi({ example: 'incubator.near' }),
    nonce: z.string().openapi({ format: 'byte', description: 'Base64 of 32 random bytes.' }),
    expiresAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('SignInChallenge', {
    description: 'Pass message, recipient and nonce (decoded) to the wallet’s NEP-413 signMessage.',
  });
const sessionToken = z
  .object({
    token: z.string().openapi({ description: 'Founder JWT: `sub` = account id, roles founder.' }),
    expiresAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('SessionToken');

export const openApiRoutes: RouteConfig[] = [
  {
    method: 'post',
    path: '/v1/auth/near/challenge',
    operationId: 'signInChallenge',
    tags: ['auth'],
    summary: 'Start a NEAR (NEP-413) sign-in: a single-use challenge for the account',
    security: [],
    request: { body: jsonBody(challengeBody, { example: examples.challenge }) },
    responses: {
      '200': jsonResponse('The challenge to sign.', signInChallenge),
      ...problemResponses([422, 429]),
    },
  },
  {
    method: 'post',
    path: '/v1/auth/near/verify',
    operationId: 'signInVerify',
    tags: ['auth'],
    summary: 'Finish the sign-in with the wallet’s signature: a founder session token',
    security: [],
    request: { body: jsonBody(verifyBody, { example: examples.verify }) },
    responses: {
      '200': jsonResponse('A founder session token.', sessionToken),
      ...problemResponses([401, 422, 503], {
        401: 'The signature, key or challenge did not verify (`signin_*`).',
        503: 'NEAR RPC could not confirm the key (`auth_unavailable`).',
      }),
    },
  },
  {
    method: 'post',
    path: '/v1/applications',
    operationId: 'createApplication',
    tags: ['applications'],
    summary: 'Create a draft application (founder)',
    request: {
      headers: commandHeaders({ ifMatch: false }),
      body: jsonBody(createApplicationBody(context), { example: examples.create }),
    },
    responses: {
      '201': applicationAnswer('The draft.', true),
      ...problemResponses([400, 401, 403, 409, 422]),
    },
  },
  {
    method: 'get',
    path: '/v1/applications',
    operationId: 'listApplications',
    tags: ['applications'],
    summary: 'List applications (founders: their own; staff: the review queue)',
    request: { query: listQuery },
    responses: {
      '200': listResponse(
        'One page; or, with `format=csv` or `Accept: text/csv`, every matching row (same filters) streamed as CSV.',
        applicationPageSchema,
        'RFC 4180 with a header line: id, status, title, category, owner, requested_asset, requested_amount, version, created_at, submitted_at, updated_at (+ reviewers, review_count for staff).',
      ),
      ...problemResponses([400, 401, 403]),
    },
  },
  {
    method: 'get',
    path: '/v1/applications/{id}',
    operationId: 'getApplication',
    tags: ['applications'],
    summary: 'One application (founders: their own)',
    request: { params: idParams },
    responses: {
      '200': jsonResponse('The application.', applicationViewSchema, commandAnswerHeaders()),
      ...problemResponses([401, 403, 404]),
    },
  },
  change(
    '/v1/applications/{id}',
    'editApplication',
    'Edit a draft or a returned application (owner)',
    {
      schema: editApplicationBody(context),
      example: examples.edit,
    },
  ),
  change('/v1/applications/{id}/submit', 'submitApplication', 'Submit for review (owner)'),
  change('/v1/applications/{id}/withdraw', 'withdrawApplication', 'Withdraw (owner)', {
    schema: withdrawApplicationBody,
    required: false,
    example: examples.withdraw,
  }),
  change('/v1/applications/{id}/reviewers', 'assignReviewers', 'Assign reviewers (admin)', {
    schema: assignReviewersBody,
    example: examples.reviewers,
  }),
  change(
    '/v1/applications/{id}/reviews',
    'submitReview',
    'Review, or declare a conflict of interest (assigned reviewer)',
    { schema: submitReviewBody, example: examples.review },
  ),
  change(
    '/v1/applications/{id}/decision',
    'decideApplication',
    'Approve with grant terms, reject, or request changes (admin)',
    { schema: decisionBody(context), example: examples.decision },
  ),
];
