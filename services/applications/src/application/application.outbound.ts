import {
  applicationEventSchemas,
  type ApplicationIntegrationEventData,
  type ApplicationIntegrationEventType,
  TOPICS,
} from '@lib/contracts';
import { type PublicEvent, publicEventMapping, type RelayMapping } from '@lib/event-store';
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
export const applicationOutbound: RelayMapping = publicEventMapping({
  topic: TOPICS.application,
  contracts: applicationEventSchemas,
  publicData: (event) => publicData(event as unknown as ApplicationEvent),
});

function publicData(event: ApplicationEvent): PublicEvent<ApplicationIntegrationEventType> | null {
  switch (event.type) {
    case 'ApplicationSubmitted':
      return { type: event.type, data: submitted(event) };
    case 'ApplicationApproved':
      return { type: event.type, data: approved(event) };
    case 'ApplicationRejected':
      return { type: event.type, data: rejected(event) };
    case 'ApplicationWithdrawn':
      return { type: event.type, data: withdrawn(event) };
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
