import { type Actor, type Command } from '@lib/contracts';
import { MilestoneError } from './milestone.errors';
import { isClosed, type Milestone, type MilestoneEvent, type MilestoneState } from './milestone';

// The Milestone aggregate as a pure decider: no I/O, no clock, no ids made here. Time (`now`) and
// the acting identity arrive on every command.

export type { Actor };

/** Roles that may review a milestone. */
export const REVIEW_ROLES = ['reviewer', 'admin'] as const;

////////// Commands

/** From `GrantActivated`: one per tranche. */
export type OpenMilestone = Command<
  'OpenMilestone',
  Pick<Milestone, 'grantId' | 'number' | 'title' | 'dueDate' | 'asset' | 'amount' | 'founder'>
>;

export type SubmitMilestone = Command<
  'SubmitMilestone',
  { summary: string; evidenceUrls: string[] }
>;

export type ReviewInput =
  { decision: 'accept'; comment?: string } | { decision: 'reject'; comment: string };

export type ReviewMilestone = Command<'ReviewMilestone', ReviewInput>;

/** From `GrantCancelled`: sent to every tranche number a grant can have. */
export type CancelMilestone = Command<
  'CancelMilestone',
  { grantId: string; number: number; reason: string }
>;

export type MilestoneCommand = OpenMilestone | SubmitMilestone | ReviewMilestone | CancelMilestone;

////////// decide

export function decide(command: MilestoneCommand, state: MilestoneState): MilestoneEvent[] {
  switch (command.type) {
    case 'OpenMilestone':
      return open(command, state);
    case 'CancelMilestone':
      return cancel(command, state);
    case 'SubmitMilestone':
      return submit(command, opened(state));
    case 'ReviewMilestone':
      return review(command, opened(state));
    default: {
      const unknownCommand: never = command;
      throw new Error(`unknown milestone command ${JSON.stringify(unknownCommand)}`);
    }
  }
}

function opened(state: MilestoneState): Milestone {
  if (state.status === 'not_opened') {
    throw new MilestoneError('milestone_not_found', 'no such milestone');
  }
  return state;
}

/** Idempotent: an opened milestone, or one closed before it opened, opens nothing. */
function open(command: OpenMilestone, state: MilestoneState): MilestoneEvent[] {
  if (state.status !== 'not_opened' || state.cancelled) return [];
  const { data } = command;
  return [
    {
      type: 'MilestoneOpened',
      data: {
        grantId: data.grantId,
        number: data.number,
        title: data.title,
        dueDate: data.dueDate,
        asset: data.asset,
        amount: data.amount.toString(),
        founder: data.founder,
        openedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

/** Everything not accepted closes; accepted stays accepted (its payout is the grant's concern). */
function cancel(command: CancelMilestone, state: MilestoneState): MilestoneEvent[] {
  if (state.status === 'not_opened' ? state.cancelled : isClosed(state.status)) return [];
  const previousStatus = state.status as 'not_opened' | 'pending' | 'submitted' | 'rejected';
  return [
    {
      type: 'MilestoneCancelled',
      data: {
        grantId: command.data.grantId,
        number: command.data.number,
        previousStatus,
        reason: command.data.reason,
        cancelledBy: command.metadata.actor.sub,
        cancelledAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function submit(command: SubmitMilestone, state: Milestone): MilestoneEvent[] {
  if (command.metadata.actor.sub !== state.founder) {
    throw new MilestoneError('not_owner', 'this milestone belongs to another founder’s grant');
  }
  switch (state.status) {
    case 'pending':
    case 'rejected':
      break;
    case 'submitted':
      throw new MilestoneError('already_submitted', 'the milestone is awaiting review');
    case 'accepted':
      throw new MilestoneError('already_accepted', 'the milestone is already accepted');
    case 'cancelled':
      throw new MilestoneError('milestone_cancelled', 'the grant was cancelled');
    default: {
      const unknownStatus: never = state.status;
      throw new Error(`unknown milestone status ${String(unknownStatus)}`);
    }
  }
  return [
    {
      type: 'MilestoneSubmitted',
      data: {
        grantId: state.grantId,
        number: state.number,
        submission: state.submissions.length + 1,
        summary: command.data.summary,
        evidenceUrls: command.data.evidenceUrls,
        submittedBy: command.metadata.actor.sub,
        submittedAt: command.metadata.now.toISOString(),
      },
    },
  ];
}

function review(command: ReviewMilestone, state: Milestone): MilestoneEvent[] {
  const { actor, now } = command.metadata;
  if (!actor.roles.some((role) => (REVIEW_ROLES as readonly string[]).includes(role))) {
    throw new MilestoneError('review_role_required', 'a reviewer or admin reviews milestones');
  }
  if (actor.sub === state.founder) {
    throw new MilestoneError('founder_cannot_review', 'the grant’s founder cannot review it');
  }
  if (state.status !== 'submitted') {
    throw new MilestoneError(
      state.status === 'cancelled'
        ? 'milestone_cancelled'
        : state.status === 'accepted'
          ? 'already_accepted'
          : 'not_submitted',
      `only a submitted milestone can be reviewed (status: ${state.status})`,
    );
  }
  const submission = state.submissions.length;
  const { data } = command;
  switch (data.decision) {
    case 'accept':
      return [
        {
          type: 'MilestoneAccepted',
          data: {
            grantId: state.grantId,
            number: state.number,
            submission,
            asset: state.asset,
            amount: state.amount.toString(),
            founder: state.founder,
            ...(data.comment !== undefined ? { comment: data.comment } : {}),
            acceptedBy: actor.sub,
            acceptedAt: now.toISOString(),
          },
        },
      ];
    case 'reject':
      return [
        {
          type: 'MilestoneRejected',
          data: {
            grantId: state.grantId,
            number: state.number,
            submission,
            comment: data.comment,
            rejectedBy: actor.sub,
            rejectedAt: now.toISOString(),
          },
        },
      ];
    default: {
      const unknownDecision: never = data;
      throw new Error(`unknown review decision ${JSON.stringify(unknownDecision)}`);
    }
  }
}

export { evolve, initialState } from './milestone';
export type { Milestone, MilestoneEvent, MilestoneState } from './milestone';
