/**
 * One route of an authorization matrix: how to call it on an id, with what body, on a subject at
 * `stage`, and the exact status every caller gets.
 */
export interface MatrixRoute<Caller extends string, Stage, Body = () => object, Id = string> {
  name: string;
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: (id: Id) => string;
  body?: Body;
  stage: Stage;
  expected: Record<Caller, number>;
  /** The caller whose call succeeds and changes state: run after every other caller. */
  runsLast?: Caller;
}

/** The status and content type of one answer. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
}

/**
 * One row of an authorization matrix: every caller calls the route once, the caller whose call
 * succeeds and changes state (`runsLast`) after all others, so each cell sees the same state.
 * Every refusal must be problem+json. Returns the status per caller, for
 * `expect(actual).toEqual(expected)`.
 */
export async function runAuthorizationRow<Caller extends string>(options: {
  callers: readonly Caller[];
  runsLast?: Caller;
  call: (caller: Caller) => Promise<Answer>;
}): Promise<Record<Caller, number>> {
  const order = [
    ...options.callers.filter((c) => c !== options.runsLast),
    ...(options.runsLast ? [options.runsLast] : []),
  ];
  const actual = {} as Record<Caller, number>;
  for (const caller of order) {
    const answer = await options.call(caller);
    actual[caller] = answer.status;
    if (answer.status >= 400) {
      expect(answer.headers['content-type']).toContain('application/problem+json');
    }
  }
  return actual;
}

/**
 * The two founder callers of a matrix, each signed in fresh by `signIn`: the owner of what the
 * matrix acts on (its account id and token) and another founder.
 */
export async function ownerAndOtherFounder(
  signIn: () => Promise<{ accountId: string; token: string }>,
): Promise<{ owner: string; tokens: { founderOwner: string; otherFounder: string } }> {
  const owner = await signIn();
  const other = await signIn();
  return {
    owner: owner.accountId,
    tokens: { founderOwner: owner.token, otherFounder: other.token },
  };
}
