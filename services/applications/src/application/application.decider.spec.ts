import { randomUUID } from 'node:crypto';
import { deciderSpec } from '@lib/testing';
import {
  type ApplicationEvent,
  type ApplicationFields,
  type ApplicationState,
  evolve,
  initialState,
} from './application';
import {
  type Actor,
  type ApplicationPolicy,
  type ApplicationCommand,
  type DecisionInput,
  type ReviewInput,
  decide,
} from './application.decider';
import { ApplicationError, type ApplicationErrorCode } from './application.errors';

// given(events) → when(command) → then(events | error), with the deployment's default quorum.
const policy: ApplicationPolicy = { reviewQuorum: 2 };

function given(events: ApplicationEvent[], withPolicy = policy) {
  const spec = deciderSpec({
    decide: (c: ApplicationCommand, s) => decide(c, s, withPolicy),
    evolve,
    initialState,
  });
  const given_ = spec.given(events);
  return {
    state: given_.state,
    when(command: ApplicationCommand) {
      const when = given_.when(command);
      return {
        then: when.then,
        events: when.events,
        thenThrows(code: ApplicationErrorCode, status?: number) {
          const error = when.thenThrows(ApplicationError, {
            code,
            ...(status === undefined ? {} : { status }),
          });
          // Every refusal carries a detail for the problem+json body.
          expect(error.message).not.toBe('');
          return error;
        },
      };
    },
  };
}

const now = new Date('2026-12-01T10:00:00.000Z');
const at = now.toISOString();
const USDC = 1_000_000n;

let id: string;
let founder: Actor;
let admin: Actor;
const reviewer = (sub: string): Actor => ({ sub, roles: ['reviewer'] });
let alice: Actor;
let bob: Actor;
let carol: Actor;

beforeEach(() => {
  // Fresh identities per test: nothing depends on another test.
  const suffix = randomUUID().slice(0, 8);
  id = randomUUID();
  founder = { sub: `ada-${suffix}.near`, roles: ['founder'] };
  admin = { sub: `admin-${suffix}`, roles: ['admin'] };
  alice = reviewer(`rev-alice-${suffix}`);
  bob = reviewer(`rev-bob-${suffix}`);
  carol = { sub: `rev-carol-${suffix}`, roles: ['reviewer', 'admin'] };
});

const fields = (): ApplicationFields => ({
  title: 'Verifiable inference on NEAR',
  summary: 'Proofs for model outputs.',
  category: 'agents',
  team: [{ name: 'Ada', role: 'CEO', contact: 'ada@example.org' }],
  requestedFunding: { asset: 'USDC', amount: 50_000n * USDC },
  payoutAccount: 'ada.near',
  milestones: [
    { title: 'Prototype', description: 'First cut', dueDate: '2027-03-01', amount: 20_000n * USDC },
    {
      title: 'Mainnet launch',
      description: 'Ship it',
      dueDate: '2027-06-01',
      amount: 30_000n * USDC,
    },
  ],
  links: ['https://github.com/ada/inference'],
});

const meta = (actor: Actor) => ({ now, actor });

const cmd = {
  create: (f = fields()): ApplicationCommand => ({
    type: 'CreateDraft',
    data: { applicationId: id, fields: f },
    metadata: meta(founder),
  }),
  edit: (
    changes: Extract<ApplicationCommand, { type: 'EditApplication' }>['data']['changes'],
    actor = founder,
  ): ApplicationCommand => ({
    type: 'EditApplication',
    data: { changes },
    metadata: meta(actor),
  }),
  submit: (actor = founder): ApplicationCommand => ({
    type: 'SubmitApplication',
    data: {},
    metadata: meta(actor),
  }),
  withdraw: (actor = founder, reason?: string): ApplicationCommand => ({
    type: 'WithdrawApplication',
    data: reason ? { reason } : {},
    metadata: meta(actor),
  }),
  assign: (reviewers: string[], actor = admin): ApplicationCommand => ({
    type: 'AssignReviewers',
    data: { reviewers },
    metadata: meta(actor),
  }),
  review: (actor: Actor, input?: Partial<ReviewInput>): ApplicationCommand => ({
    type: 'SubmitReview',
    data: {
      conflictOfInterest: false,
      scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 3 },
      recommendation: 'approve',
      comment: 'solid',
      ...input,
    } as ReviewInput,
    metadata: meta(actor),
  }),
  conflict: (actor: Actor): ApplicationCommand => ({
    type: 'SubmitReview',
    data: { conflictOfInterest: true, comment: 'former colleague' },
    metadata: meta(actor),
  }),
  decide: (input: DecisionInput, actor = admin): ApplicationCommand => ({
    type: 'DecideApplication',
    data: input,
    metadata: meta(actor),
  }),
};

const approveInput = (
  amount = 45_000n * USDC,
  tranches = [
    { milestone: 1, amount: 15_000n * USDC },
    { milestone: 2, amount: 30_000n * USDC },
  ],
): DecisionInput => ({
  decision: 'approve',
  reason: 'strong team',
  grant: { asset: 'USDC', amount, tranches },
});

// Event streams for each status, built by running the decider itself.
function history(...commands: ApplicationCommand[]): ApplicationEvent[] {
  const events: ApplicationEvent[] = [];
  for (const command of commands) {
    const state = events.reduce<ApplicationState>(evolve, initialState());
    events.push(...decide(command, state, policy));
  }
  return events;
}
const drafted = () => history(cmd.create());
const submitted = () => history(cmd.create(), cmd.submit());
const underReview = () =>
  history(cmd.create(), cmd.submit(), cmd.assign([alice.sub, bob.sub, carol.sub]));
const reviewedTwice = () => [...underReview(), ...reviewEvents(alice, bob)];
function reviewEvents(...actors: Actor[]): ApplicationEvent[] {
  const base = underReview();
  const events = [...base];
  for (const actor of actors) {
    const state = events.reduce<ApplicationState>(evolve, initialState());
    events.push(...decide(cmd.review(actor), state, policy));
  }
  return events.slice(base.length);
}
const changesRequested = () => [
  ...reviewedTwice(),
  ...decideOn(reviewedTwice(), cmd.decide({ decision: 'request_changes', reason: 'more detail' })),
];
function decideOn(events: ApplicationEvent[], command: ApplicationCommand): ApplicationEvent[] {
  return decide(command, events.reduce<ApplicationState>(evolve, initialState()), policy);
}
const approved = () => [
  ...reviewedTwice(),
  ...decideOn(reviewedTwice(), cmd.decide(approveInput())),
];
const rejected = () => [
  ...underReview(),
  ...decideOn(underReview(), cmd.decide({ decision: 'reject', reason: 'out of scope' })),
];
const withdrawn = () => [...drafted(), ...decideOn(drafted(), cmd.withdraw())];

const fieldsData = {
  title: 'Verifiable inference on NEAR',
  summary: 'Proofs for model outputs.',
  category: 'agents',
  team: [{ name: 'Ada', role: 'CEO', contact: 'ada@example.org' }],
  requestedFunding: { asset: 'USDC', amount: '50000000000' },
  payoutAccount: 'ada.near',
  milestones: [
    { title: 'Prototype', description: 'First cut', dueDate: '2027-03-01', amount: '20000000000' },
    {
      title: 'Mainnet launch',
      description: 'Ship it',
      dueDate: '2027-06-01',
      amount: '30000000000',
    },
  ],
  links: ['https://github.com/ada/inference'],
};

describe('CreateDraft', () => {
  it('drafts an application owned by the founder, amounts as base-unit strings', () => {
    given([])
      .when(cmd.create())
      .then([
        {
          type: 'ApplicationDrafted',
          data: {
            applicationId: id,
            owner: founder.sub,
            fields: fieldsData as never,
            draftedAt: at,
          },
        },
      ]);
  });

  it('refuses a second draft on the same stream', () => {
    given(drafted()).when(cmd.create()).thenThrows('application_exists', 409);
  });

  it('refuses milestones that do not sum to the requested funding', () => {
    const f = fields();
    f.milestones[1].amount += 1n;
    const error = given([]).when(cmd.create(f)).thenThrows('milestones_sum_mismatch', 422);
    expect(error.errors?.[0].field).toBe('milestones');
  });

  it('evolves into a draft with bigint amounts', () => {
    const { state } = given(drafted());
    expect(state).toMatchObject({ status: 'draft', owner: founder.sub, round: 0, reviewers: [] });
    expect(state.status !== 'empty' && state.fields.requestedFunding.amount).toBe(50_000n * USDC);
  });
});

describe('commands on a missing application', () => {
  it.each([
    ['EditApplication', () => cmd.edit({ title: 'x' })],
    ['SubmitApplication', () => cmd.submit()],
    ['WithdrawApplication', () => cmd.withdraw()],
    ['AssignReviewers', () => cmd.assign(['rev'])],
    ['SubmitReview', () => cmd.review(alice)],
    ['DecideApplication', () => cmd.decide({ decision: 'reject', reason: 'no' })],
  ])('%s → 404 application_not_found', (_name, command) => {
    given([]).when(command()).thenThrows('application_not_found', 404);
  });
});

describe('EditApplication', () => {
  it('records the changed fields of a draft', () => {
    given(drafted())
      .when(cmd.edit({ title: 'Better title', links: [] }))
      .then([
        {
          type: 'ApplicationEdited',
          data: {
            applicationId: id,
            changes: { title: 'Better title', links: [] },
            editedBy: founder.sub,
            editedAt: at,
          },
        },
      ]);
  });

  it('changes funding and milestones together, as strings in the event', () => {
    const events = given(drafted())
      .when(
        cmd.edit({
          funding: {
            requestedFunding: { asset: 'NEAR', amount: 10n ** 24n },
            milestones: [
              { title: 'One', description: 'd', dueDate: '2027-01-01', amount: 10n ** 24n },
            ],
          },
        }),
      )
      .events();
    expect(events[0].type === 'ApplicationEdited' && events[0].data.changes.funding).toEqual({
      requestedFunding: { asset: 'NEAR', amount: '1000000000000000000000000' },
      milestones: [
        {
          title: 'One',
          description: 'd',
          dueDate: '2027-01-01',
          amount: '1000000000000000000000000',
        },
      ],
    });
    const state = [...drafted(), ...events].reduce<ApplicationState>(evolve, initialState());
    expect(state.status !== 'empty' && state.fields.requestedFunding).toEqual({
      asset: 'NEAR',
      amount: 10n ** 24n,
    });
    expect(state.status !== 'empty' && state.fields.title).toBe('Verifiable inference on NEAR');
  });

  it('refuses funding whose milestones do not add up', () => {
    given(drafted())
      .when(
        cmd.edit({
          funding: {
            requestedFunding: { asset: 'USDC', amount: 5n },
            milestones: [{ title: 'One', description: 'd', dueDate: '2027-01-01', amount: 4n }],
          },
        }),
      )
      .thenThrows('milestones_sum_mismatch', 422);
  });

  it('is allowed when changes were requested', () => {
    expect(
      given(changesRequested())
        .when(cmd.edit({ summary: 'more detail' }))
        .events(),
    ).toHaveLength(1);
  });

  it('records nothing for an empty change set', () => {
    given(drafted()).when(cmd.edit({})).then([]);
  });

  it('is only for the owner', () => {
    given(drafted())
      .when(cmd.edit({ title: 'x' }, admin))
      .thenThrows('not_owner', 403);
  });

  it.each([
    ['submitted', submitted],
    ['under_review', underReview],
    ['approved', approved],
    ['rejected', rejected],
    ['withdrawn', withdrawn],
  ])('refuses an application that is %s', (_status, events) => {
    given(events())
      .when(cmd.edit({ title: 'x' }))
      .thenThrows('not_editable', 409);
  });
});

describe('SubmitApplication', () => {
  it('submits a draft (round 1)', () => {
    given(drafted())
      .when(cmd.submit())
      .then([
        {
          type: 'ApplicationSubmitted',
          data: {
            applicationId: id,
            owner: founder.sub,
            title: 'Verifiable inference on NEAR',
            category: 'agents',
            requestedFunding: { asset: 'USDC', amount: '50000000000' },
            round: 1,
            resubmission: false,
            submittedAt: at,
          },
        },
      ]);
  });

  it('resubmits after changes were requested (round 2) and clears the decision', () => {
    const events = given(changesRequested()).when(cmd.submit()).events();
    expect(events[0]).toMatchObject({
      type: 'ApplicationSubmitted',
      data: { round: 2, resubmission: true },
    });
    const state = [...changesRequested(), ...events].reduce<ApplicationState>(
      evolve,
      initialState(),
    );
    expect(state).toMatchObject({ status: 'submitted', round: 2 });
    expect(state.status !== 'empty' && state.decision).toBeUndefined();
  });

  it('refuses milestones due on or before the submission date', () => {
    const f = fields();
    f.milestones[0].dueDate = '2026-12-01';
    const error = given(history(cmd.create(f)))
      .when(cmd.submit())
      .thenThrows('milestone_due_date_passed', 422);
    expect(error.errors).toEqual([
      {
        field: 'milestones.0.dueDate',
        code: 'date_not_in_future',
        message: 'due date must be after 2026-12-01',
      },
    ]);
  });

  it('is only for the owner', () => {
    given(drafted()).when(cmd.submit(admin)).thenThrows('not_owner', 403);
  });

  it.each([
    ['submitted', submitted],
    ['under_review', underReview],
    ['approved', approved],
    ['rejected', rejected],
    ['withdrawn', withdrawn],
  ])('refuses an application that is %s', (_status, events) => {
    given(events()).when(cmd.submit()).thenThrows('not_submittable', 409);
  });
});

describe('WithdrawApplication', () => {
  it.each([
    ['draft', drafted],
    ['submitted', submitted],
    ['under_review', underReview],
    ['changes_requested', changesRequested],
  ])('withdraws from %s', (status, events) => {
    given(events())
      .when(cmd.withdraw(founder, 'found other funding'))
      .then([
        {
          type: 'ApplicationWithdrawn',
          data: {
            applicationId: id,
            owner: founder.sub,
            previousStatus: status as never,
            reason: 'found other funding',
            withdrawnAt: at,
          },
        },
      ]);
  });

  it('evolves to withdrawn', () => {
    expect(given(withdrawn()).state.status).toBe('withdrawn');
  });

  it('is only for the owner', () => {
    given(submitted()).when(cmd.withdraw(admin)).thenThrows('not_owner', 403);
  });

  it.each([
    ['approved', approved],
    ['rejected', rejected],
    ['withdrawn', withdrawn],
  ])('refuses a final application (%s)', (_status, events) => {
    given(events()).when(cmd.withdraw()).thenThrows('already_final', 409);
  });
});

describe('AssignReviewers', () => {
  it('moves a submitted application under review', () => {
    given(submitted())
      .when(cmd.assign([alice.sub, bob.sub, alice.sub]))
      .then([
        {
          type: 'ReviewersAssigned',
          data: {
            applicationId: id,
            reviewers: [alice.sub, bob.sub],
            added: [alice.sub, bob.sub],
            round: 1,
            assignedBy: admin.sub,
            assignedAt: at,
          },
        },
      ]);
  });

  it('adds reviewers while under review and keeps the earlier ones', () => {
    const dave = reviewer(`dave-${id}`);
    const events = given(underReview())
      .when(cmd.assign([alice.sub, dave.sub]))
      .events();
    expect(events[0]).toMatchObject({
      data: { reviewers: [alice.sub, bob.sub, carol.sub, dave.sub], added: [dave.sub] },
    });
  });

  it('records nothing when everyone is already assigned and under review', () => {
    given(underReview())
      .when(cmd.assign([alice.sub]))
      .then([]);
  });

  it('starts a new review round after a resubmission, even with the same reviewers', () => {
    const resubmitted = [...changesRequested(), ...decideOn(changesRequested(), cmd.submit())];
    const events = given(resubmitted)
      .when(cmd.assign([alice.sub]))
      .events();
    expect(events[0]).toMatchObject({ data: { added: [], round: 2 } });
    expect(given([...resubmitted, ...events]).state.status).toBe('under_review');
  });

  it('needs the admin role', () => {
    given(submitted())
      .when(cmd.assign([alice.sub], alice))
      .thenThrows('admin_role_required', 403);
  });

  it('refuses the applicant as a reviewer', () => {
    given(submitted())
      .when(cmd.assign([founder.sub]))
      .thenThrows('owner_cannot_review', 403);
  });

  it('refuses a reviewer who declared a conflict', () => {
    const events = [...underReview(), ...decideOn(underReview(), cmd.conflict(alice))];
    const resubmittable = [
      ...events,
      ...decideOn(events, cmd.decide({ decision: 'request_changes', reason: 'r' })),
    ];
    const resubmitted = [...resubmittable, ...decideOn(resubmittable, cmd.submit())];
    given(resubmitted)
      .when(cmd.assign([alice.sub]))
      .thenThrows('reviewer_conflicted', 403);
  });

  it.each([
    ['draft', drafted],
    ['changes_requested', changesRequested],
    ['approved', approved],
    ['rejected', rejected],
    ['withdrawn', withdrawn],
  ])('refuses an application that is %s', (_status, events) => {
    given(events())
      .when(cmd.assign([alice.sub]))
      .thenThrows('not_assignable', 409);
  });
});

describe('SubmitReview', () => {
  it('records an assigned reviewer’s rubric', () => {
    given(underReview())
      .when(cmd.review(alice, { recommendation: 'request_changes', comment: 'needs a plan' }))
      .then([
        {
          type: 'ReviewSubmitted',
          data: {
            applicationId: id,
            reviewer: alice.sub,
            round: 1,
            scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 3 },
            recommendation: 'request_changes',
            comment: 'needs a plan',
            submittedAt: at,
          },
        },
      ]);
  });

  it('records a conflict-of-interest declaration instead of a review', () => {
    given(underReview())
      .when(cmd.conflict(alice))
      .then([
        {
          type: 'ConflictOfInterestDeclared',
          data: {
            applicationId: id,
            reviewer: alice.sub,
            comment: 'former colleague',
            declaredAt: at,
          },
        },
      ]);
  });

  it('refuses a review after the reviewer declared a conflict', () => {
    const events = [...underReview(), ...decideOn(underReview(), cmd.conflict(alice))];
    given(events).when(cmd.review(alice)).thenThrows('reviewer_conflicted', 403);
  });

  it('allows one review per reviewer per round', () => {
    given([...underReview(), ...reviewEvents(alice)])
      .when(cmd.review(alice))
      .thenThrows('review_already_submitted', 409);
  });

  it('lets the same reviewer review again in the next round', () => {
    const resubmittable = changesRequested();
    const round2 = [...resubmittable, ...decideOn(resubmittable, cmd.submit())];
    const assigned = [...round2, ...decideOn(round2, cmd.assign([alice.sub]))];
    expect(given(assigned).when(cmd.review(alice)).events()[0]).toMatchObject({
      data: { round: 2 },
    });
  });

  it('is only for assigned reviewers', () => {
    given(underReview())
      .when(cmd.review(reviewer('stranger')))
      .thenThrows('reviewer_not_assigned', 403);
  });

  it.each([
    ['draft', drafted],
    ['submitted', submitted],
    ['changes_requested', changesRequested],
    ['approved', approved],
    ['rejected', rejected],
    ['withdrawn', withdrawn],
  ])('refuses an application that is %s', (_status, events) => {
    given(events()).when(cmd.review(alice)).thenThrows('not_under_review', 409);
  });
});

describe('DecideApplication', () => {
  describe('approve', () => {
    it('approves with tranches carrying milestone titles and due dates', () => {
      given(reviewedTwice())
        .when(cmd.decide(approveInput()))
        .then([
          {
            type: 'ApplicationApproved',
            data: {
              applicationId: id,
              owner: founder.sub,
              payoutAccount: 'ada.near',
              title: 'Verifiable inference on NEAR',
              grant: {
                asset: 'USDC',
                amount: '45000000000',
                tranches: [
                  {
                    milestone: 1,
                    title: 'Prototype',
                    dueDate: '2027-03-01',
                    amount: '15000000000',
                  },
                  {
                    milestone: 2,
                    title: 'Mainnet launch',
                    dueDate: '2027-06-01',
                    amount: '30000000000',
                  },
                ],
              },
              reason: 'strong team',
              reviewedBy: [alice.sub, bob.sub],
              decidedBy: admin.sub,
              approvedAt: at,
            },
          },
        ]);
    });

    it('evolves to approved with the grant terms as bigint', () => {
      const { state } = given(approved());
      expect(state).toMatchObject({
        status: 'approved',
        decision: { decision: 'approve', decidedBy: admin.sub },
      });
      expect(
        state.status !== 'empty' &&
          state.decision?.decision === 'approve' &&
          state.decision.grant.amount,
      ).toBe(45_000n * USDC);
    });

    it('may approve the full requested amount', () => {
      const grant = approveInput(50_000n * USDC, [
        { milestone: 2, amount: 30_000n * USDC },
        { milestone: 1, amount: 20_000n * USDC },
      ]);
      expect(given(reviewedTwice()).when(cmd.decide(grant)).events()).toHaveLength(1);
    });

    describe('quorum', () => {
      it('needs two reviews by default', () => {
        given([...underReview(), ...reviewEvents(alice)])
          .when(cmd.decide(approveInput()))
          .thenThrows('quorum_not_met', 409);
      });

      it('follows a configured quorum', () => {
        const oneReview = [...underReview(), ...reviewEvents(alice)];
        expect(
          given(oneReview, { reviewQuorum: 1 }).when(cmd.decide(approveInput(), admin)).events(),
        ).toHaveLength(1);
        given(reviewedTwice(), { reviewQuorum: 3 })
          .when(cmd.decide(approveInput(), admin))
          .thenThrows('quorum_not_met', 409);
      });

      it('does not count a reviewer who declared a conflict after reviewing', () => {
        const events = [...reviewedTwice(), ...decideOn(reviewedTwice(), cmd.conflict(bob))];
        given(events).when(cmd.decide(approveInput())).thenThrows('quorum_not_met', 409);
      });

      it('does not count reviews from an earlier round', () => {
        const resubmittable = changesRequested();
        const round2 = [...resubmittable, ...decideOn(resubmittable, cmd.submit())];
        const assigned = [...round2, ...decideOn(round2, cmd.assign([alice.sub, bob.sub]))];
        given(assigned).when(cmd.decide(approveInput())).thenThrows('quorum_not_met', 409);
      });
    });

    describe('grant terms', () => {
      it('rejects tranches that do not sum to the grant amount', () => {
        const error = given(reviewedTwice())
          .when(
            cmd.decide(
              approveInput(45_000n * USDC, [
                { milestone: 1, amount: 15_000n * USDC },
                { milestone: 2, amount: 30_000n * USDC - 1n },
              ]),
            ),
          )
          .thenThrows('tranche_sum_mismatch', 422);
        expect(error.errors?.[0].field).toBe('grant.tranches');
      });

      it('rejects more than was requested', () => {
        given(reviewedTwice())
          .when(
            cmd.decide(
              approveInput(50_000n * USDC + 1n, [{ milestone: 1, amount: 50_000n * USDC + 1n }]),
            ),
          )
          .thenThrows('grant_exceeds_request', 422);
      });

      it.each([0, 3, -1, 1.5])('rejects a tranche for milestone %p', (milestone) => {
        const error = given(reviewedTwice())
          .when(cmd.decide(approveInput(45_000n * USDC, [{ milestone, amount: 45_000n * USDC }])))
          .thenThrows('unknown_milestone', 422);
        expect(error.errors?.[0].field).toBe('grant.tranches.0.milestone');
      });

      it('rejects a different asset', () => {
        given(reviewedTwice())
          .when(
            cmd.decide({
              decision: 'approve',
              grant: { asset: 'NEAR', amount: 1n, tranches: [{ milestone: 1, amount: 1n }] },
            }),
          )
          .thenThrows('grant_asset_mismatch', 422);
      });
    });
  });

  it('rejects with a reason', () => {
    given(underReview())
      .when(cmd.decide({ decision: 'reject', reason: 'out of scope' }))
      .then([
        {
          type: 'ApplicationRejected',
          data: {
            applicationId: id,
            owner: founder.sub,
            reason: 'out of scope',
            decidedBy: admin.sub,
            rejectedAt: at,
          },
        },
      ]);
    expect(given(rejected()).state).toMatchObject({
      status: 'rejected',
      decision: { decision: 'reject' },
    });
  });

  it('requests changes with a reason (no quorum needed)', () => {
    given(underReview())
      .when(cmd.decide({ decision: 'request_changes', reason: 'budget detail' }))
      .then([
        {
          type: 'ChangesRequested',
          data: {
            applicationId: id,
            owner: founder.sub,
            reason: 'budget detail',
            round: 1,
            decidedBy: admin.sub,
            requestedAt: at,
          },
        },
      ]);
    expect(given(changesRequested()).state.status).toBe('changes_requested');
  });

  describe('separation of duties', () => {
    it('needs the admin role', () => {
      given(reviewedTwice())
        .when(cmd.decide(approveInput(), alice))
        .thenThrows('admin_role_required', 403);
    });

    it('refuses an admin who declared a conflict', () => {
      const events = [...reviewedTwice(), ...decideOn(reviewedTwice(), cmd.conflict(carol))];
      given(events).when(cmd.decide(approveInput(), carol)).thenThrows('decider_conflicted', 403);
      given(events)
        .when(cmd.decide({ decision: 'reject', reason: 'x' }, carol))
        .thenThrows('decider_conflicted', 403);
    });

    it('lets a non-conflicted admin who also reviewed decide', () => {
      const events = [...underReview(), ...reviewEvents(alice, carol)];
      expect(given(events).when(cmd.decide(approveInput(), carol)).events()).toHaveLength(1);
    });

    it('refuses the applicant deciding their own application', () => {
      const selfAdmin = { sub: founder.sub, roles: ['founder', 'admin'] };
      given(reviewedTwice())
        .when(cmd.decide(approveInput(), selfAdmin))
        .thenThrows('owner_cannot_decide', 403);
    });
  });

  it.each([
    ['draft', drafted],
    ['submitted', submitted],
    ['changes_requested', changesRequested],
    ['approved', approved],
    ['rejected', rejected],
    ['withdrawn', withdrawn],
  ])('refuses an application that is %s', (_status, events) => {
    given(events())
      .when(cmd.decide({ decision: 'reject', reason: 'no' }))
      .thenThrows('not_under_review', 409);
  });
});

describe('evolve', () => {
  it('ignores events on a stream that was never drafted', () => {
    expect(evolve(initialState(), submitted()[1])).toEqual({ status: 'empty' });
  });

  it('records a conflicted reviewer once', () => {
    const conflict = decideOn(underReview(), cmd.conflict(alice));
    const { state } = given([...underReview(), ...conflict, ...conflict]);
    expect(state.status !== 'empty' && state.conflicted).toEqual([alice.sub]);
  });

  it('events survive a JSON round trip (no bigint, no Date inside)', () => {
    const events = approved();
    const replayed = JSON.parse(JSON.stringify(events)) as ApplicationEvent[];
    expect(replayed.reduce<ApplicationState>(evolve, initialState())).toEqual(
      events.reduce<ApplicationState>(evolve, initialState()),
    );
  });
});

// Pinned by mutation testing (docs/mutation.md): each test below kills mutants the others let live.
describe('rules pinned by mutation testing', () => {
  const decideApprove = (grant: DecisionInput & { decision: 'approve' }) =>
    given(reviewedTwice()).when(cmd.decide(grant));
  const terms = (
    amount: bigint,
    tranches: { milestone: number; amount: bigint }[],
    asset = 'USDC',
  ): DecisionInput & { decision: 'approve' } => ({
    decision: 'approve',
    grant: { asset, amount, tranches },
  });

  it('a sum mismatch names both sums', () => {
    const f = fields();
    f.milestones[1].amount += 1n;
    const error = given([]).when(cmd.create(f)).thenThrows('milestones_sum_mismatch', 422);
    expect(error.message).toContain(`${50_000n * USDC + 1n}`);
    expect(error.message).toContain(`${50_000n * USDC}`);
    expect(error.errors).toEqual([
      {
        field: 'milestones',
        code: 'sum_mismatch',
        message: 'milestone amounts must sum to requestedFunding.amount',
      },
    ]);
  });

  it('a milestone due the day after submission is accepted; only the stale one is listed', () => {
    const f = fields();
    f.milestones[0].dueDate = '2026-12-02';
    expect(
      given(history(cmd.create(f)))
        .when(cmd.submit())
        .events()[0].type,
    ).toBe('ApplicationSubmitted');
    f.milestones[1].dueDate = '2026-11-30';
    const error = given(history(cmd.create(f)))
      .when(cmd.submit())
      .thenThrows('milestone_due_date_passed', 422);
    expect(error.errors?.map((e) => e.field)).toEqual(['milestones.1.dueDate']);
  });

  it('grant-term refusals name the field, code and message', () => {
    expect(
      decideApprove(terms(1n, [{ milestone: 1, amount: 1n }], 'NEAR')).thenThrows(
        'grant_asset_mismatch',
        422,
      ).errors,
    ).toEqual([{ field: 'grant.asset', code: 'asset_mismatch', message: 'must be USDC' }]);
    const exceeds = decideApprove(
      terms(50_000n * USDC + 1n, [{ milestone: 1, amount: 50_000n * USDC + 1n }]),
    ).thenThrows('grant_exceeds_request', 422);
    expect(exceeds.errors).toEqual([
      {
        field: 'grant.amount',
        code: 'exceeds_request',
        message: 'must not exceed the requested amount',
      },
    ]);
    expect(
      decideApprove(
        terms(2n, [
          { milestone: 1, amount: 1n },
          { milestone: 7, amount: 1n },
        ]),
      ).thenThrows('unknown_milestone', 422).errors,
    ).toEqual([
      {
        field: 'grant.tranches.1.milestone',
        code: 'unknown_milestone',
        message: 'no such milestone',
      },
    ]);
    expect(
      decideApprove(terms(3n, [{ milestone: 1, amount: 1n }])).thenThrows(
        'tranche_sum_mismatch',
        422,
      ).errors,
    ).toEqual([
      {
        field: 'grant.tranches',
        code: 'sum_mismatch',
        message: 'tranche amounts must sum to grant.amount',
      },
    ]);
  });

  it('exactly the requested amount in one tranche is approved', () => {
    const events = decideApprove(
      terms(50_000n * USDC, [{ milestone: 2, amount: 50_000n * USDC }]),
    ).events();
    expect(events[0]).toMatchObject({
      type: 'ApplicationApproved',
      data: {
        grant: {
          asset: 'USDC',
          amount: `${50_000n * USDC}`,
          tranches: [
            {
              milestone: 2,
              title: 'Mainnet launch',
              dueDate: '2027-06-01',
              amount: `${50_000n * USDC}`,
            },
          ],
        },
      },
    });
    expect(events[0].data).not.toHaveProperty('reason');
  });

  it('a draft starts with no round, reviewers, reviews or conflicts', () => {
    expect(given(drafted()).state).toEqual({
      status: 'draft',
      id,
      owner: founder.sub,
      fields: fields(),
      round: 0,
      reviewers: [],
      reviews: [],
      conflicted: [],
      createdAt: at,
      updatedAt: at,
    });
  });

  it('the decision in the state keeps the grant terms as bigint, the reason, who and when', () => {
    const approvedState = given(approved()).state;
    expect(approvedState.status !== 'empty' && approvedState.decision).toEqual({
      decision: 'approve',
      grant: {
        asset: 'USDC',
        amount: 45_000n * USDC,
        tranches: [
          { milestone: 1, amount: 15_000n * USDC },
          { milestone: 2, amount: 30_000n * USDC },
        ],
      },
      reason: 'strong team',
      decidedBy: admin.sub,
      at,
    });
    const changesState = given(changesRequested()).state;
    expect(changesState.status !== 'empty' && changesState.decision).toEqual({
      decision: 'request_changes',
      reason: 'more detail',
      decidedBy: admin.sub,
      at,
    });
    const withoutReason = [
      ...reviewedTwice(),
      ...decideOn(
        reviewedTwice(),
        cmd.decide(terms(45_000n * USDC, [{ milestone: 1, amount: 45_000n * USDC }])),
      ),
    ];
    const plain = given(withoutReason).state;
    expect(plain.status !== 'empty' && plain.decision).not.toHaveProperty('reason');
  });

  it('assigning conflicted reviewers names each of them', () => {
    const events = [...underReview(), ...decideOn(underReview(), cmd.conflict(alice))];
    const withBob = [...events, ...decideOn(events, cmd.conflict(bob))];
    const error = given(withBob)
      .when(cmd.assign([alice.sub, bob.sub]))
      .thenThrows('reviewer_conflicted', 403);
    expect(error.message).toBe(`declared a conflict of interest: ${alice.sub}, ${bob.sub}`);
  });

  it('edit and submit refusals name the action and the status', () => {
    expect(
      given(submitted())
        .when(cmd.edit({ title: 'x' }))
        .thenThrows('not_editable', 409).message,
    ).toBe(
      'only a draft or an application with changes requested can be edited (status: submitted)',
    );
    expect(given(submitted()).when(cmd.submit()).thenThrows('not_submittable', 409).message).toBe(
      'only a draft or an application with changes requested can be submitted (status: submitted)',
    );
  });

  it('a blank approval reason is not recorded', () => {
    const blank = {
      ...terms(45_000n * USDC, [{ milestone: 1, amount: 45_000n * USDC }]),
      reason: '  ',
    };
    expect(decideApprove(blank).events()[0].data).not.toHaveProperty('reason');
  });

  it('an unknown decision is an error, never ignored', () => {
    const bogus = { decision: 'fund_twice' } as unknown as DecisionInput;
    expect(() => decide(cmd.decide(bogus), given(reviewedTwice()).state, policy)).toThrow(
      /unhandled variant: .*fund_twice/,
    );
  });

  it('an unknown command or stored event is an error, never ignored', () => {
    const { state } = given(drafted());
    const bogus = { type: 'FundDirectly', data: {}, metadata: meta(admin) };
    expect(() => decide(bogus as unknown as ApplicationCommand, state, policy)).toThrow(
      /unhandled variant: .*FundDirectly/,
    );
    const bogusEvent = { type: 'ApplicationFunded', data: {} };
    expect(() => evolve(state, bogusEvent as unknown as ApplicationEvent)).toThrow(
      /unhandled variant: .*ApplicationFunded/,
    );
  });
});
