import { milestoneEventSchemas, type MilestoneIntegrationEventData, TOPICS } from '@lib/contracts';
import { publicEventMapping, type RelayMapping } from '@lib/event-store';
import type {
  MilestoneAccepted,
  MilestoneEvent,
  MilestoneRejected,
  MilestoneSubmitted,
} from './milestone';

/**
 * Internal Milestone events → public `milestones.milestone.v1` contracts. Submissions and reviews
 * are published; opening and cancellation stay private (they only mirror grant events).
 * The envelope's aggregate id — and so the Kafka key — is the grant id, not the stream id, so
 * all milestones of one grant land on one partition in order.
 */
export const milestoneOutbound: RelayMapping = publicEventMapping({
  topic: TOPICS.milestone,
  contracts: milestoneEventSchemas,
  publicData: (event) => publicData(event as unknown as MilestoneEvent),
  aggregateId: (event) => (event.data as { grantId: string }).grantId,
});

type Published =
  | { type: 'MilestoneSubmitted'; data: MilestoneIntegrationEventData<'MilestoneSubmitted'> }
  | { type: 'MilestoneAccepted'; data: MilestoneIntegrationEventData<'MilestoneAccepted'> }
  | { type: 'MilestoneRejected'; data: MilestoneIntegrationEventData<'MilestoneRejected'> };

function publicData(event: MilestoneEvent): Published | null {
  switch (event.type) {
    case 'MilestoneSubmitted':
      return { type: event.type, data: submitted(event) };
    case 'MilestoneAccepted':
      return { type: event.type, data: accepted(event) };
    case 'MilestoneRejected':
      return { type: event.type, data: rejected(event) };
    case 'MilestoneOpened':
    case 'MilestoneCancelled':
      return null;
    default: {
      const unknownEvent: never = event;
      throw new Error(`unmapped milestone event ${JSON.stringify(unknownEvent)}`);
    }
  }
}

const submitted = ({ data }: MilestoneSubmitted) => ({
  grantId: data.grantId,
  tranche: data.number,
  submission: data.submission,
  summary: data.summary,
  evidenceUrls: data.evidenceUrls,
  submittedBy: data.submittedBy,
  submittedAt: data.submittedAt,
});

const accepted = ({ data }: MilestoneAccepted) => ({
  grantId: data.grantId,
  tranche: data.number,
  amount: data.amount,
  asset: data.asset,
  founder: data.founder,
  acceptedBy: data.acceptedBy,
  acceptedAt: data.acceptedAt,
});

const rejected = ({ data }: MilestoneRejected) => ({
  grantId: data.grantId,
  tranche: data.number,
  comment: data.comment,
  rejectedBy: data.rejectedBy,
  rejectedAt: data.rejectedAt,
});
