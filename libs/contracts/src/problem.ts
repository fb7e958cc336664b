// The problem+json vocabulary without a framework: deciders throw these, and the platform's
// filter (libs/platform/src/problem.ts) writes them as RFC 9457 responses. Kept here, not in
// @lib/platform, because that barrel loads Nest, kafkajs and TypeORM.

/** One field's problem in a 400/422 answer. */
export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `milestones.1.amount`; `(body)` for the body itself. */
  field: string;
  code: string;
  message: string;
}

/**
 * An error with a stable `code` that maps to an RFC 9457 problem. Domain rules throw this (or a
 * subclass); the platform's ProblemDetailsFilter turns it into `application/problem+json`.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldProblem[],
  ) {
    super(message);
    this.name = 'ProblemError';
  }
}

/** 400/422 with every field problem listed (422 unless told). */
export class ValidationProblem extends ProblemError {
  constructor(errors: FieldProblem[], status = 422) {
    super(status, 'validation_failed', `${errors.length} field problem(s)`, errors);
  }
}

/**
 * The error class of one aggregate, from its table of codes and HTTP statuses, so a code always
 * answers with its own status: `class GrantError extends domainError('GrantError', STATUS) {}`,
 * then `throw new GrantError('grant_closed', 'the grant is cancelled')`.
 */
export function domainError<Code extends string>(
  name: string,
  statusOf: Readonly<Record<Code, number>>,
) {
  return class DomainError extends ProblemError {
    declare readonly code: Code;

    constructor(code: Code, message: string, errors?: FieldProblem[]) {
      super(statusOf[code], code, message, errors);
      this.name = name;
    }
  };
}
