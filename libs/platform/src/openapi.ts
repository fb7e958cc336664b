import { extendZodWithOpenApi, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Building blocks for a service's `src/openapi.ts` (its routes as zod-to-openapi RouteConfig):
// the problem+json answer, JSON answers, the command headers. The gateway's generator merges every
// service's routes into the one document and adds what the gateway itself answers.

extendZodWithOpenApi(z);

export const PROBLEM_JSON = 'application/problem+json';

export const fieldProblemSchema = z
  .object({
    field: z.string().openapi({
      description:
        'Dotted path of the field (`milestones.1.amount`); `(body)` for the body itself.',
      example: 'milestones.1.amount',
    }),
    code: z.string().openapi({ example: 'too_many_decimals' }),
    message: z.string().openapi({ example: 'USDC has at most 6 decimals' }),
  })
  .openapi('FieldProblem');

/** RFC 9457 problem details, as the platform's ProblemDetailsFilter writes them. */
export const problemSchema = z
  .object({
    type: z.string().openapi({
      format: 'uri',
      example: 'https://errors.incubator.example/validation_failed',
    }),
    title: z.string().openapi({ example: 'Unprocessable Content' }),
    status: z.number().int().min(400).max(599).openapi({ example: 422 }),
    detail: z.string().optional().openapi({ example: '1 field problem(s)' }),
    code: z.string().optional().openapi({ example: 'validation_failed' }),
    errors: z.array(fieldProblemSchema).optional(),
  })
  .openapi('Problem', {
    description: 'RFC 9457 problem details. `code` is stable; `errors` lists every field problem.',
  });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: bad query, header or JSON (`validation_failed` lists the fields).',
  401: 'No, malformed or expired bearer token (`token_missing`, `token_invalid`, `token_expired`).',
  403: 'The token lacks the role (`role_required`), or ownership or separation of duties forbids it.',
  404: 'No such resource.',
  409: 'Wrong state for this action, a stale `If-Match` (`version_conflict`), or an `Idempotency-Key` still in use.',
  412: 'A precondition failed.',
  422: 'Invalid content: `validation_failed` lists every field problem in `errors`; a domain rule answers with its own code.',
  429: 'Too many requests.',
  503: 'A dependency is down.',
};

/** A problem+json answer. */
export const problemResponse = (description: string): ResponseConfig => ({
  description,
  content: { [PROBLEM_JSON]: { schema: problemSchema } },
});

/** Problem answers for `statuses`, with the usual description unless one is given. */
export function problemResponses(
  statuses: readonly number[],
  descriptions: Partial<Record<number, string>> = {},
): Record<string, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      problemResponse(descriptions[status] ?? PROBLEM_DESCRIPTIONS[status] ?? 'Error.'),
    ]),
  );
}

/** A JSON answer with `schema`. */
export const jsonResponse = (
  description: string,
  schema: z.ZodTypeAny,
  headers?: ResponseConfig['headers'],
): ResponseConfig => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema } },
});

/**
 * A JSON request body; `example` should be a body the service accepts (the document test and the
 * limit walk in the gateway's e2e start from it).
 */
export const jsonBody = (
  schema: z.ZodTypeAny,
  options: { required?: boolean; example?: unknown } = {},
) => ({
  required: options.required ?? true,
  content: {
    'application/json': {
      schema,
      ...(options.example === undefined ? {} : { example: options.example }),
    },
  },
});

/** `If-Match: "<version>"` as commands on an existing aggregate accept it. */
export const IF_MATCH_PATTERN = /^(?:W\/)?"?(\d{1,9})"?$/;

/** Optional command headers: `Idempotency-Key` (every mutation) and `If-Match` (changes). */
export const commandHeaders = (options: { ifMatch: boolean }) =>
  z.object({
    'Idempotency-Key': z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/)
      .optional()
      .openapi({
        description:
          'Makes a retry safe: the first request with a key runs and its answer is stored (per ' +
          'caller); a repeat gets the stored answer with `Idempotent-Replayed: true`; the same key ' +
          'with another request is a 422 `idempotency_key_reused`; a repeat while the first runs ' +
          'is a 409 `idempotency_key_in_use` whose `Retry-After` gives the seconds until it may ' +
          'run (the claim lease, 60 s, covers a first request that never answered).',
        example: 'c0ffee-1',
      }),
    ...(options.ifMatch
      ? {
          'If-Match': z
            .string()
            .regex(IF_MATCH_PATTERN)
            .optional()
            .openapi({
              description:
                'The version the change is based on (the `ETag` of the last read, e.g. `"3"`). ' +
                'A stale version is a 409 `version_conflict`; absent means no precondition.',
              example: '"3"',
            }),
        }
      : {}),
  });

/** Response headers of a command answer on a versioned aggregate. */
export const commandAnswerHeaders = (options: { created?: boolean } = {}) =>
  z.object({
    ETag: z.string().openapi({ description: 'The version, quoted; send it back as `If-Match`.' }),
    'Idempotent-Replayed': z.enum(['true']).optional().openapi({
      description: '`true` when this is the stored answer of an earlier request with the key.',
    }),
    ...(options.created
      ? { Location: z.string().openapi({ description: 'Where the created resource is.' }) }
      : {}),
  });
