import type {
  ComponentsObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';

// Shared pieces of the public API document: problem+json, headers, parameters, gateway answers.
// Limits mirror services/applications/src/application/application.dto.ts (LIMITS); the
// document test checks routes, a reviewer checks these numbers when the DTOs change.

export const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });
export const parameterRef = (name: string): ReferenceObject => ({
  $ref: `#/components/parameters/${name}`,
});
export const responseRef = (name: string): ReferenceObject => ({
  $ref: `#/components/responses/${name}`,
});

export const PROBLEM_JSON = 'application/problem+json';

/** Trimmed, NFC-normalised text of 1..max code points (control characters rejected). */
export const text = (maxLength: number, description?: string): SchemaObject => ({
  type: 'string',
  minLength: 1,
  maxLength,
  ...(description ? { description } : {}),
});

export const DECIMAL_PATTERN = '^(0|[1-9]\\d*)(\\.\\d+)?$';

export const decimalAmount = (description?: string): SchemaObject => ({
  type: 'string',
  pattern: DECIMAL_PATTERN,
  example: '20000',
  description:
    description ??
    'Decimal string in the asset (at most its decimals: USDC 6, NEAR 24), greater than zero.',
});

const problemSchema: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable; `errors` lists every field problem.',
  required: ['type', 'title', 'status'],
  properties: {
    type: {
      type: 'string',
      format: 'uri',
      example: 'https://errors.incubator.example/validation_failed',
    },
    title: { type: 'string', example: 'Unprocessable Content' },
    status: { type: 'integer', minimum: 400, maximum: 599, example: 422 },
    detail: { type: 'string', example: '1 field problem(s)' },
    code: { type: 'string', example: 'validation_failed' },
    errors: { type: 'array', items: ref('FieldProblem') },
  },
};

const fieldProblemSchema: SchemaObject = {
  type: 'object',
  required: ['field', 'code', 'message'],
  properties: {
    field: {
      type: 'string',
      description:
        'Dotted path of the field (`milestones.1.amount`); `(body)` for the body itself.',
      example: 'milestones.1.amount',
    },
    code: { type: 'string', example: 'too_many_decimals' },
    message: { type: 'string', example: 'USDC has at most 6 decimals' },
  },
};

const problem = (description: string, example?: Record<string, unknown>): ResponseObject => ({
  description,
  content: { [PROBLEM_JSON]: { schema: ref('Problem'), ...(example ? { example } : {}) } },
});

const problemExample = (status: number, title: string, code: string, detail: string) => ({
  type: `https://errors.incubator.example/${code}`,
  title,
  status,
  code,
  detail,
});

/** Status codes every `/v1` operation may answer, from the gateway itself. */
export const GATEWAY_RESPONSES = {
  '429': responseRef('TooManyRequests'),
  '502': responseRef('BadGateway'),
  '504': responseRef('GatewayTimeout'),
} as const;

export const components: ComponentsObject = {
  securitySchemes: {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'Founders: the token from `POST /v1/auth/near/verify` (roles `["founder"]`, `sub` = NEAR ' +
        'account). Staff: a token from the identity provider (RS256) or, in development, an HS256 ' +
        'token (`npm run token:mint`) with roles among reviewer, admin, treasurer. The gateway does ' +
        'not check tokens; the owning service does.',
    },
  },
  schemas: {
    Problem: problemSchema,
    FieldProblem: fieldProblemSchema,
  },
  parameters: {
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Makes a retry safe: the first request with a key runs and its answer is stored (per ' +
        'caller); a repeat of the same request gets the stored answer with `Idempotent-Replayed: ' +
        'true`; the same key with another request is a 422 `idempotency_key_reused`; a repeat while ' +
        'the first still runs is a 409 `idempotency_key_in_use`. Server errors are not stored.',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$', example: 'c0ffee-1' },
    },
    IfMatch: {
      name: 'If-Match',
      in: 'header',
      required: false,
      description:
        'The version the change is based on (the `ETag` of the last read, e.g. `"3"`; `W/"3"` and ' +
        '`3` are accepted). A stale version is a 409 `version_conflict`; absent means no precondition.',
      schema: { type: 'string', pattern: '^(W/)?"?\\d{1,9}"?$', example: '"3"' },
    },
    CorrelationId: {
      name: 'x-correlation-id',
      in: 'header',
      required: false,
      description: 'Carried into every log line and event of the request; generated when absent.',
      schema: { type: 'string', maxLength: 200 },
    },
    ApplicationId: {
      name: 'id',
      in: 'path',
      required: true,
      description: 'Application id (UUID); anything else is a 404.',
      schema: { type: 'string', format: 'uuid' },
    },
  },
  headers: {
    ETag: {
      description: 'The application version, quoted; send it back as `If-Match`.',
      schema: { type: 'string', example: '"3"' },
    },
    Location: {
      description: 'Where the created resource is.',
      schema: { type: 'string', example: '/v1/applications/0b6c7a4e-1f0e-4c57-9e0e-4c2f3f7f2a11' },
    },
    IdempotentReplayed: {
      description:
        '`true` when this answer is the stored answer of an earlier request with the key.',
      schema: { type: 'string', enum: ['true'] },
    },
    RetryAfter: {
      description: 'Seconds to wait before retrying.',
      schema: { type: 'string', example: '1' },
    },
  },
  responses: {
    BadRequest: problem(
      'Malformed request: bad query, bad `If-Match` or `Idempotency-Key`, or unreadable JSON.',
      problemExample(
        400,
        'Bad Request',
        'invalid_if_match',
        'If-Match must be the version, e.g. "3"',
      ),
    ),
    Unauthorized: problem(
      'No, malformed or expired bearer token (`token_missing`, `token_invalid`, `token_expired`).',
      problemExample(
        401,
        'Unauthorized',
        'token_missing',
        'Authorization: Bearer <token> is required',
      ),
    ),
    Forbidden: problem(
      'The token lacks the role (`role_required`) or a rule of separation of duties or ownership ' +
        'forbids it (`not_owner`, `owner_cannot_review`, `reviewer_not_assigned`, …).',
      problemExample(403, 'Forbidden', 'role_required', 'requires one of the roles: founder'),
    ),
    NotFound: problem(
      'No such application (`application_not_found`).',
      problemExample(404, 'Not Found', 'application_not_found', 'no such application'),
    ),
    Conflict: problem(
      'Wrong state for this action (`not_editable`, `not_submittable`, `already_final`, …), a ' +
        'stale `If-Match` or concurrent change (`version_conflict`), or an `Idempotency-Key` still ' +
        'in use (`idempotency_key_in_use`).',
      problemExample(
        409,
        'Conflict',
        'version_conflict',
        'application changed concurrently (expected version 2, now 3); reload and retry',
      ),
    ),
    ValidationFailed: problem(
      'Invalid content: `validation_failed` lists every field problem in `errors`; domain rules ' +
        'answer with their own code (`milestones_sum_mismatch`, `invalid_grant_terms`, …); an ' +
        '`Idempotency-Key` reused for another request is `idempotency_key_reused`.',
      {
        ...problemExample(422, 'Unprocessable Content', 'validation_failed', '2 field problem(s)'),
        errors: [
          { field: 'title', code: 'required', message: 'required' },
          {
            field: 'milestones.0.dueDate',
            code: 'date_not_in_future',
            message: 'must be after 2026-11-26',
          },
        ],
      },
    ),
    TooManyRequests: {
      description: 'Over the gateway rate limit for this client address (`rate_limited`).',
      headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
      content: {
        [PROBLEM_JSON]: {
          schema: ref('Problem'),
          example: problemExample(
            429,
            'Too Many Requests',
            'rate_limited',
            'too many requests; slow down',
          ),
        },
      },
    },
    BadGateway: problem(
      'The owning service did not answer (`upstream_unavailable`).',
      problemExample(502, 'Error', 'upstream_unavailable', 'applications service did not answer'),
    ),
    GatewayTimeout: problem(
      'The owning service did not answer in time (`upstream_timeout`).',
      problemExample(504, 'Error', 'upstream_timeout', 'applications service did not answer'),
    ),
    ServiceUnavailable: problem(
      'A dependency is down (`auth_unavailable`: identity provider keys or NEAR RPC).',
      problemExample(
        503,
        'Service Unavailable',
        'auth_unavailable',
        'NEAR RPC could not confirm the key; try again',
      ),
    ),
  },
};
