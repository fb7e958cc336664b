import {
  applicationEventSchemas,
  type ApplicationIntegrationEventData,
  TOPICS,
} from '@lib/contracts';
import { type RelayMapping, toIntegrationEnvelope } from '@lib/event-store';
import {
  type ApplicationApproved,
  type ApplicationEvent,
  type ApplicationRejected,
  type ApplicationSubmitted,
  type ApplicationWithdrawn,
} from './application';

/**
 * Internal Application events → public `applications.application.v1` contracts. Only decisions
 * and lifecycle milestones other contexts act on are published; drafts, edits and reviews stay
 * private (they carry reviewers' comments).
 */
export const applicationOutbound: RelayMapping = (event) => {
  const mapped = publicData(event as unknown as ApplicationEvent);
  if (!mapped) return null;
  // Validated against the published contract before it leaves: a mismatch is a bug and stops the
  // relay loudly (it retries and logs) rather than publishing something consumers would reject.
  const contract = applicationEventSchemas[event.type as keyof typeof applicationEventSchemas];
  const data = contract.data.parse(mapped) as Record<string, unknown>;
  // The relay's own envelope builder, with the contract's data and version.
  const envelope = { ...toIntegrationEnvelope(event), schemaVersion: 1, data };
  return { topic: TOPICS.application, envelope };
};

function publicData(event: ApplicationEvent): Record<string, unknown> | null {
  switch (event.type) {
    case 'ApplicationSubmitted':
      return submitted(event);
    case 'ApplicationApproved':
      return approved(event);
    case 'ApplicationRejected':
      return rejected(event);
    case 'ApplicationWithdrawn':
      return withdrawn(event);
    case 'ApplicationDrafted':
    case 'ApplicationEdited':
    case 'ReviewersAssigned':
    case 'ReviewSubmitted':
    case 'ConflictOfInterestDeclared':
    case 'ChangesRequested':
      return null;
    default: {
      const unknownEvent: never = event;
      throw new Error(`unmapped application event ${JSON.stringify(unknownEvent)}`);
    }
  }
}

const submitted = ({
  data,
}: ApplicationSubmitted): ApplicationIntegrationEventData<'ApplicationSubmitted'> => ({
  applicationId: data.applicationId,
  founder: data.owner,
  title: data.title,
  category: data.category,
  requestedFunding: data.requestedFunding,
  round: data.round,
  resubmission: data.resubmission,
  submittedAt: data.submittedAt,
});

const approved = ({
  data,
}: ApplicationApproved): ApplicationIntegrationEventData<'ApplicationApproved'> => ({
  applicationId: data.applicationId,
  founder: data.owner,
  payoutAccount: data.payoutAccount,
  title: data.title,
  grant: data.grant,
  decidedBy: data.decidedBy,
  approvedAt: data.approvedAt,
});

const rejected = ({
  data,
}: ApplicationRejected): ApplicationIntegrationEventData<'ApplicationRejected'> => ({
  applicationId: data.applicationId,
  founder: data.owner,
  reason: data.reason,
  decidedBy: data.decidedBy,
  rejectedAt: data.rejectedAt,
});

const withdrawn = ({
  data,
}: ApplicationWithdrawn): ApplicationIntegrationEventData<'ApplicationWithdrawn'> => ({
  applicationId: data.applicationId,
  founder: data.owner,
  previousStatus:
    data.previousStatus as ApplicationIntegrationEventData<'ApplicationWithdrawn'>['previousStatus'],
  reason: data.reason,
  withdrawnAt: data.withdrawnAt,
});
