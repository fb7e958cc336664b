import type {
  OperationObject,
  PathsObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import {
  decimalAmount,
  GATEWAY_RESPONSES,
  parameterRef,
  ref,
  responseRef,
  text,
} from './components';

// What the applications service answers under /v1/auth/near and /v1/applications. Field names,
// enums and limits follow its zod bodies (application.dto.ts, signin.controller.ts) and its
// response views (application-view.dto.ts).

const CATEGORIES = [
  'agents',
  'infrastructure',
  'data',
  'model-training',
  'consumer-app',
  'research',
  'other',
];
const STATUSES = [
  'draft',
  'submitted',
  'under_review',
  'changes_requested',
  'approved',
  'rejected',
  'withdrawn',
];
const RECOMMENDATIONS = ['approve', 'reject', 'request_changes'];
const ASSETS = ['NEAR', 'USDC'];

const NEAR_ACCOUNT_ID: SchemaObject = {
  type: 'string',
  minLength: 2,
  maxLength: 64,
  description:
    'NEAR account id: named (`a-z0-9` with `-_` inside and `.` between parts), implicit (64 hex) ' +
    'or 0x-implicit (0x + 40 hex).',
  example: 'ada.near',
};

const BASE64 = '^[A-Za-z0-9+/]+={0,2}$';

////////// sign-in

const signInSchemas: Record<string, SchemaObject> = {
  SignInChallengeRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId'],
    properties: { accountId: NEAR_ACCOUNT_ID },
  },
  SignInChallenge: {
    type: 'object',
    description: 'Pass message, recipient and nonce (decoded) to the wallet’s NEP-413 signMessage.',
    required: ['message', 'recipient', 'nonce', 'expiresAt'],
    properties: {
      message: { type: 'string' },
      recipient: { type: 'string', example: 'incubator.near' },
      nonce: { type: 'string', format: 'byte', description: 'Base64 of 32 random bytes.' },
      expiresAt: { type: 'string', format: 'date-time' },
    },
  },
  SignInVerifyRequest: {
    type: 'object',
    description: 'What a wallet’s NEP-413 signMessage returns, plus the signed fields. Single use.',
    additionalProperties: false,
    required: ['accountId', 'publicKey', 'signature', 'nonce', 'message', 'recipient'],
    properties: {
      accountId: NEAR_ACCOUNT_ID,
      publicKey: {
        type: 'string',
        pattern: '^ed25519:[1-9A-HJ-NP-Za-km-z]{32,50}$',
        description: 'A full-access key of the account at `final`.',
      },
      signature: {
        type: 'string',
        maxLength: 200,
        pattern: BASE64,
        description: 'Base64 of 64 bytes.',
      },
      nonce: {
        type: 'string',
        maxLength: 200,
        pattern: BASE64,
        description: 'The challenge nonce (base64 of 32 bytes).',
      },
      message: { type: 'string', minLength: 1, maxLength: 1000 },
      recipient: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
  SessionToken: {
    type: 'object',
    required: ['token', 'expiresAt'],
    properties: {
      token: {
        type: 'string',
        description: 'Founder JWT: `sub` = account id, roles `["founder"]`.',
      },
      expiresAt: { type: 'string', format: 'date-time' },
    },
  },
};

////////// application requests

const teamMember: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: { name: text(100), role: text(100), contact: text(200) },
};

const requestedFunding: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['asset', 'amount'],
  properties: {
    asset: { type: 'string', enum: ASSETS, description: 'Supported asset code.' },
    amount: decimalAmount('Decimal string, > 0, at most the asset’s decimals (USDC 6, NEAR 24).'),
  },
};

const proposedMilestone: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'description', 'dueDate', 'amount'],
  properties: {
    title: text(200),
    description: text(5000, 'Multi-line text.'),
    dueDate: { type: 'string', format: 'date', description: 'A calendar date after today (UTC).' },
    amount: decimalAmount('In the requested funding’s asset; the amounts sum to it.'),
  },
};

const applicationFields: Record<string, SchemaObject | ReferenceObject> = {
  title: text(200),
  summary: text(5000, 'Multi-line text.'),
  category: { type: 'string', enum: CATEGORIES },
  team: { type: 'array', minItems: 1, maxItems: 20, items: ref('TeamMember') },
  requestedFunding: ref('RequestedFunding'),
  payoutAccount: NEAR_ACCOUNT_ID,
  milestones: {
    type: 'array',
    minItems: 1,
    maxItems: 20,
    description: 'Numbered from 1 in this order; amounts sum to `requestedFunding.amount`.',
    items: ref('ProposedMilestone'),
  },
  links: {
    type: 'array',
    maxItems: 10,
    items: { type: 'string', format: 'uri', maxLength: 2048, description: 'Absolute https URL.' },
  },
};

const grantTerms: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['asset', 'amount', 'tranches'],
  description:
    'Tranche amounts sum to `amount`; one tranche per milestone at most; the asset is the ' +
    'requested one and the amount at most the request.',
  properties: {
    asset: { type: 'string', enum: ASSETS },
    amount: decimalAmount(),
    tranches: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['milestone', 'amount'],
        properties: {
          milestone: {
            type: 'integer',
            minimum: 1,
            maximum: 20,
            description: '1-based number of a proposed milestone.',
          },
          amount: decimalAmount(),
        },
      },
    },
  },
};

const reason = text(2000, 'Multi-line text.');

const applicationRequestSchemas: Record<string, SchemaObject> = {
  TeamMember: teamMember,
  RequestedFunding: requestedFunding,
  ProposedMilestone: proposedMilestone,
  CreateApplicationRequest: {
    type: 'object',
    additionalProperties: false,
    required: [
      'title',
      'summary',
      'category',
      'team',
      'requestedFunding',
      'payoutAccount',
      'milestones',
    ],
    properties: applicationFields,
    example: {
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
          dueDate: '2027-03-01',
          amount: '20000',
        },
        {
          title: 'Mainnet launch',
          description: 'Live on mainnet',
          dueDate: '2027-06-01',
          amount: '30000',
        },
      ],
    },
  },
  EditApplicationRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    description:
      'Only the fields to change. `requestedFunding` and `milestones` are sent together (milestone ' +
      'amounts must sum to the funding); milestones replace the whole list.',
    properties: applicationFields,
    example: { title: 'Verifiable inference on NEAR, v2' },
  },
  WithdrawApplicationRequest: {
    type: 'object',
    additionalProperties: false,
    description: 'The body is optional.',
    properties: { reason },
  },
  AssignReviewersRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reviewers'],
    properties: {
      reviewers: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        uniqueItems: true,
        description: 'Staff identities (the JWT `sub` of each reviewer).',
        items: { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S+$' },
      },
    },
    example: { reviewers: ['rev-alice', 'rev-bob'] },
  },
  RubricScores: {
    type: 'object',
    additionalProperties: false,
    required: ['team', 'technical', 'impact', 'ecosystemFit'],
    properties: Object.fromEntries(
      ['team', 'technical', 'impact', 'ecosystemFit'].map((criterion) => [
        criterion,
        { type: 'integer', minimum: 1, maximum: 5 },
      ]),
    ),
  },
  ReviewSubmission: {
    type: 'object',
    additionalProperties: false,
    required: ['scores', 'recommendation', 'comment'],
    properties: {
      scores: ref('RubricScores'),
      recommendation: { type: 'string', enum: RECOMMENDATIONS },
      comment: text(5000, 'Multi-line text; staff only, founders never see it.'),
      conflictOfInterest: { type: 'boolean', enum: [false] },
    },
    example: {
      scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 3 },
      recommendation: 'approve',
      comment: 'Strong team.',
      conflictOfInterest: false,
    },
  },
  ConflictOfInterestDeclaration: {
    type: 'object',
    additionalProperties: false,
    required: ['conflictOfInterest'],
    description: 'The reviewer may then neither review nor decide this application, in any round.',
    properties: {
      conflictOfInterest: { type: 'boolean', enum: [true] },
      comment: text(5000),
    },
  },
  SubmitReviewRequest: {
    oneOf: [ref('ReviewSubmission'), ref('ConflictOfInterestDeclaration')],
  },
  GrantTerms: grantTerms,
  ApproveDecision: {
    type: 'object',
    additionalProperties: false,
    required: ['decision', 'grant'],
    description: 'Needs the configured review quorum of non-conflicted reviews in this round.',
    properties: {
      decision: { type: 'string', enum: ['approve'] },
      reason,
      grant: ref('GrantTerms'),
    },
    example: {
      decision: 'approve',
      reason: 'Strong team',
      grant: {
        asset: 'USDC',
        amount: '45000',
        tranches: [
          { milestone: 1, amount: '15000' },
          { milestone: 2, amount: '30000' },
        ],
      },
    },
  },
  RejectOrRequestChangesDecision: {
    type: 'object',
    additionalProperties: false,
    required: ['decision', 'reason'],
    properties: {
      decision: { type: 'string', enum: ['reject', 'request_changes'] },
      reason,
    },
  },
  DecisionRequest: {
    oneOf: [ref('ApproveDecision'), ref('RejectOrRequestChangesDecision')],
    discriminator: {
      propertyName: 'decision',
      mapping: {
        approve: '#/components/schemas/ApproveDecision',
        reject: '#/components/schemas/RejectOrRequestChangesDecision',
        request_changes: '#/components/schemas/RejectOrRequestChangesDecision',
      },
    },
  },
};

////////// application responses

const money: SchemaObject = {
  type: 'object',
  required: ['asset', 'amount'],
  properties: { asset: { type: 'string', example: 'USDC' }, amount: decimalAmount() },
};

const dateTime: SchemaObject = { type: 'string', format: 'date-time' };
const staffOnly = (schema: SchemaObject): SchemaObject => ({
  ...schema,
  description: `${schema.description ? `${schema.description} ` : ''}Staff only (absent for founders).`,
});

const applicationResponseSchemas: Record<string, SchemaObject> = {
  Money: money,
  Review: {
    type: 'object',
    description: 'A review as staff see it (every round).',
    required: ['reviewer', 'round', 'scores', 'recommendation', 'comment', 'submittedAt'],
    properties: {
      reviewer: { type: 'string' },
      round: { type: 'integer', minimum: 1 },
      scores: ref('RubricScores'),
      recommendation: { type: 'string', enum: RECOMMENDATIONS },
      comment: { type: 'string' },
      submittedAt: dateTime,
    },
  },
  AnonymousReview: {
    type: 'object',
    description: 'A review of the current round as the founder sees it: no reviewer, no comment.',
    required: ['scores', 'recommendation'],
    properties: {
      scores: ref('RubricScores'),
      recommendation: { type: 'string', enum: RECOMMENDATIONS },
    },
  },
  ReviewSummary: {
    type: 'object',
    required: ['round', 'count', 'averageScores', 'reviews'],
    properties: {
      round: {
        type: 'integer',
        minimum: 0,
        description: '0 until first submitted; +1 per resubmission.',
      },
      count: { type: 'integer', minimum: 0, description: 'Reviews in the current round.' },
      averageScores: {
        type: 'object',
        nullable: true,
        description: 'Per criterion, two decimals; null without reviews in this round.',
        properties: Object.fromEntries(
          ['team', 'technical', 'impact', 'ecosystemFit'].map((c) => [c, { type: 'number' }]),
        ),
      },
      reviews: {
        type: 'array',
        description:
          'Staff: every review of every round (`Review`); founders: this round, anonymous.',
        items: { oneOf: [ref('Review'), ref('AnonymousReview')] },
      },
    },
  },
  DecisionView: {
    type: 'object',
    nullable: true,
    description: 'The latest decision; null until decided.',
    required: ['decision', 'reason', 'decidedAt'],
    properties: {
      decision: { type: 'string', enum: RECOMMENDATIONS },
      reason: { type: 'string', nullable: true },
      decidedAt: dateTime,
      decidedBy: staffOnly({ type: 'string' }),
      grant: {
        type: 'object',
        description: 'With an approval only.',
        required: ['asset', 'amount', 'tranches'],
        properties: {
          asset: { type: 'string' },
          amount: decimalAmount(),
          tranches: {
            type: 'array',
            items: {
              type: 'object',
              required: ['milestone', 'asset', 'amount'],
              properties: {
                milestone: { type: 'integer', minimum: 1 },
                asset: { type: 'string' },
                amount: decimalAmount(),
              },
            },
          },
        },
      },
    },
  },
  Application: {
    type: 'object',
    description: 'One application; the `ETag` header carries `version`.',
    required: [
      'id',
      'status',
      'version',
      'owner',
      'title',
      'summary',
      'category',
      'team',
      'requestedFunding',
      'payoutAccount',
      'milestones',
      'links',
      'reviewSummary',
      'decision',
      'createdAt',
      'updatedAt',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: STATUSES },
      version: { type: 'integer', minimum: 1 },
      owner: { type: 'string', description: 'The founder’s JWT `sub` (their NEAR account).' },
      title: { type: 'string' },
      summary: { type: 'string' },
      category: { type: 'string', enum: CATEGORIES },
      team: { type: 'array', items: ref('TeamMember') },
      requestedFunding: ref('Money'),
      payoutAccount: { type: 'string' },
      milestones: {
        type: 'array',
        items: {
          type: 'object',
          required: ['number', 'title', 'description', 'dueDate', 'amount'],
          properties: {
            number: { type: 'integer', minimum: 1 },
            title: { type: 'string' },
            description: { type: 'string' },
            dueDate: { type: 'string', format: 'date' },
            amount: decimalAmount(),
          },
        },
      },
      links: { type: 'array', items: { type: 'string', format: 'uri' } },
      reviewers: staffOnly({ type: 'array', items: { type: 'string' } }),
      conflicted: staffOnly({
        type: 'array',
        items: { type: 'string' },
        description: 'Reviewers who declared a conflict of interest.',
      }),
      reviewSummary: ref('ReviewSummary'),
      decision: ref('DecisionView'),
      createdAt: dateTime,
      updatedAt: dateTime,
    },
  },
  ApplicationListItem: {
    type: 'object',
    required: [
      'id',
      'status',
      'version',
      'owner',
      'title',
      'category',
      'requestedFunding',
      'createdAt',
      'submittedAt',
      'updatedAt',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: STATUSES },
      version: { type: 'integer', minimum: 1 },
      owner: { type: 'string' },
      title: { type: 'string' },
      category: { type: 'string', enum: CATEGORIES },
      requestedFunding: ref('Money'),
      reviewers: staffOnly({ type: 'array', items: { type: 'string' } }),
      reviewCount: staffOnly({ type: 'integer', minimum: 0 }),
      createdAt: dateTime,
      submittedAt: { ...dateTime, nullable: true, description: 'Null until first submitted.' },
      updatedAt: dateTime,
    },
  },
  ApplicationPage: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('ApplicationListItem') },
      nextCursor: {
        type: 'string',
        nullable: true,
        description: 'Pass as `cursor` for the next page; null on the last page.',
      },
    },
  },
};

export const applicationsSchemas: Record<string, SchemaObject> = {
  ...signInSchemas,
  ...applicationRequestSchemas,
  ...applicationResponseSchemas,
};

////////// operations

const json = (schema: SchemaObject | ReferenceObject) => ({ 'application/json': { schema } });

const applicationAnswer = (description: string, status = 200): ResponseObject => ({
  description,
  headers: {
    ETag: { $ref: '#/components/headers/ETag' },
    'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
    ...(status === 201 ? { Location: { $ref: '#/components/headers/Location' } } : {}),
  },
  content: json(ref('Application')),
});

/** Errors every mutation of an existing application may answer. */
const MUTATION_ERRORS = {
  '400': responseRef('BadRequest'),
  '401': responseRef('Unauthorized'),
  '403': responseRef('Forbidden'),
  '404': responseRef('NotFound'),
  '409': responseRef('Conflict'),
  '422': responseRef('ValidationFailed'),
  ...GATEWAY_RESPONSES,
};

const MUTATION_PARAMETERS = [
  parameterRef('ApplicationId'),
  parameterRef('IfMatch'),
  parameterRef('IdempotencyKey'),
  parameterRef('CorrelationId'),
];

function applicationAction(options: {
  operationId: string;
  summary: string;
  description: string;
  body?: { schema: string; required: boolean };
}): OperationObject {
  return {
    tags: ['applications'],
    operationId: options.operationId,
    summary: options.summary,
    description: options.description,
    parameters: MUTATION_PARAMETERS,
    ...(options.body
      ? {
          requestBody: {
            required: options.body.required,
            content: json(ref(options.body.schema)),
          },
        }
      : {}),
    responses: {
      '200': applicationAnswer('The application after the change.'),
      ...MUTATION_ERRORS,
    },
  };
}

const csvQuery = (name: string, values: string[], description: string) => ({
  name,
  in: 'query' as const,
  required: false,
  description: `${description} Comma-separated, any of: ${values.join(', ')}.`,
  schema: { type: 'string', maxLength: 500 },
  example: values[0],
});

const dateQuery = (name: string, description: string) => ({
  name,
  in: 'query' as const,
  required: false,
  description: `${description} A date (\`YYYY-MM-DD\`) or a date-time with offset.`,
  schema: { type: 'string' },
});

export const applicationsPaths: PathsObject = {
  '/v1/auth/near/challenge': {
    post: {
      tags: ['auth'],
      operationId: 'createSignInChallenge',
      summary: 'Start a NEAR sign-in (NEP-413)',
      description: 'Issues a single-use nonce and the message to sign for this account.',
      security: [],
      parameters: [parameterRef('CorrelationId')],
      requestBody: { required: true, content: json(ref('SignInChallengeRequest')) },
      responses: {
        '200': { description: 'The challenge to sign.', content: json(ref('SignInChallenge')) },
        '422': responseRef('ValidationFailed'),
        ...GATEWAY_RESPONSES,
      },
    },
  },
  '/v1/auth/near/verify': {
    post: {
      tags: ['auth'],
      operationId: 'verifySignIn',
      summary: 'Finish a NEAR sign-in with the wallet’s signature',
      description:
        'Spends the nonce, checks the signature and that the public key is a full-access key of ' +
        'the account, and returns a founder session token. 401 codes: `challenge_unknown`, ' +
        '`challenge_reused`, `challenge_expired`, `signin_<reason>` (e.g. `signin_bad_signature`).',
      security: [],
      parameters: [parameterRef('CorrelationId')],
      requestBody: { required: true, content: json(ref('SignInVerifyRequest')) },
      responses: {
        '200': { description: 'Signed in.', content: json(ref('SessionToken')) },
        '401': responseRef('Unauthorized'),
        '422': responseRef('ValidationFailed'),
        '503': responseRef('ServiceUnavailable'),
        ...GATEWAY_RESPONSES,
      },
    },
  },
  '/v1/applications': {
    post: {
      tags: ['applications'],
      operationId: 'createApplication',
      summary: 'Create a draft application (founder)',
      parameters: [parameterRef('IdempotencyKey'), parameterRef('CorrelationId')],
      requestBody: { required: true, content: json(ref('CreateApplicationRequest')) },
      responses: {
        '201': applicationAnswer('The draft, version 1.', 201),
        '400': responseRef('BadRequest'),
        '401': responseRef('Unauthorized'),
        '403': responseRef('Forbidden'),
        '409': responseRef('Conflict'),
        '422': responseRef('ValidationFailed'),
        ...GATEWAY_RESPONSES,
      },
    },
    get: {
      tags: ['applications'],
      operationId: 'listApplications',
      summary: 'List applications (founders: their own; staff: all, with filters)',
      description:
        'Newest first, keyset-paginated. Unknown query parameters are a 400. For founders ' +
        '`reviewer` is ignored and only their own applications are listed.',
      parameters: [
        csvQuery('status', STATUSES, 'Only these statuses.'),
        csvQuery('category', CATEGORIES, 'Only these categories.'),
        {
          name: 'reviewer',
          in: 'query',
          required: false,
          description: 'Staff: only applications assigned to this reviewer (`sub`).',
          schema: { type: 'string', minLength: 1, maxLength: 200 },
        },
        dateQuery('createdFrom', 'Created at or after.'),
        dateQuery('createdTo', 'Created before or at.'),
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
        {
          name: 'cursor',
          in: 'query',
          required: false,
          description: '`nextCursor` of the previous page.',
          schema: { type: 'string', minLength: 1, maxLength: 500 },
        },
        parameterRef('CorrelationId'),
      ],
      responses: {
        '200': { description: 'One page.', content: json(ref('ApplicationPage')) },
        '400': responseRef('BadRequest'),
        '401': responseRef('Unauthorized'),
        ...GATEWAY_RESPONSES,
      },
    },
  },
  '/v1/applications/{id}': {
    get: {
      tags: ['applications'],
      operationId: 'getApplication',
      summary: 'Read one application (founder: own; staff: any)',
      description: 'Read from the event stream, so it reflects every accepted change at once.',
      parameters: [parameterRef('ApplicationId'), parameterRef('CorrelationId')],
      responses: {
        '200': {
          description: 'The application.',
          headers: { ETag: { $ref: '#/components/headers/ETag' } },
          content: json(ref('Application')),
        },
        '401': responseRef('Unauthorized'),
        '403': responseRef('Forbidden'),
        '404': responseRef('NotFound'),
        ...GATEWAY_RESPONSES,
      },
    },
    patch: applicationAction({
      operationId: 'editApplication',
      summary: 'Edit a draft or a "changes requested" application (founder, owner)',
      description: 'Send only the fields to change.',
      body: { schema: 'EditApplicationRequest', required: true },
    }),
  },
  '/v1/applications/{id}/submit': {
    post: applicationAction({
      operationId: 'submitApplication',
      summary: 'Submit for review (founder, owner)',
      description:
        'From `draft` or `changes_requested` (a resubmission opens a new review round). ' +
        'Milestone due dates must still be in the future. No body.',
    }),
  },
  '/v1/applications/{id}/withdraw': {
    post: applicationAction({
      operationId: 'withdrawApplication',
      summary: 'Withdraw (founder, owner)',
      description: 'Final. Not once approved, rejected or withdrawn (409 `already_final`).',
      body: { schema: 'WithdrawApplicationRequest', required: false },
    }),
  },
  '/v1/applications/{id}/reviewers': {
    post: applicationAction({
      operationId: 'assignReviewers',
      summary: 'Assign reviewers (admin)',
      description:
        'Adds staff reviewers to a `submitted` or `under_review` application (then `under_review`).',
      body: { schema: 'AssignReviewersRequest', required: true },
    }),
  },
  '/v1/applications/{id}/reviews': {
    post: applicationAction({
      operationId: 'submitReview',
      summary: 'Review, or declare a conflict of interest (assigned reviewer)',
      description:
        'Rubric scores 1–5, a recommendation and a comment; or `conflictOfInterest: true` ' +
        '(optional comment), after which the reviewer can neither review nor decide it.',
      body: { schema: 'SubmitReviewRequest', required: true },
    }),
  },
  '/v1/applications/{id}/decision': {
    post: applicationAction({
      operationId: 'decideApplication',
      summary: 'Approve with grant terms, reject, or request changes (admin)',
      description:
        'Approval needs the configured quorum of non-conflicted reviews in the current round; ' +
        'the admin must not be the owner or a conflicted reviewer. Approval emits the event from ' +
        'which the grant is created.',
      body: { schema: 'DecisionRequest', required: true },
    }),
  },
};
