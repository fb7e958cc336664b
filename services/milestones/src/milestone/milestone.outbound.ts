import {
  type IntegrationEnvelope,
  milestoneEventSchemas,
  type MilestoneIntegrationEventData,
  TOPICS,
} from '@lib/contracts';
import type { RelayMapping } from '@lib/event-store';
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
export const milestoneOutbound: RelayMapping = (event) => {
  const mapped = publicData(event as unknown as MilestoneEvent);
  if (!mapped) return null;
  // Validated against the published contract before it leaves: a mismatch is a bug.
  const contract = milestoneEventSchemas[mapped.type];
  const data = contract.data.parse(mapped.data) as Record<string, unknown>;
  const envelope: IntegrationEnvelope = {
    eventId: event.eventId,
    type: mapped.type,
    schemaVersion: contract.schemaVersion,
    aggregateId: (event.data as { grantId: string }).grantId,
    streamVersion: event.streamVersion,
    occurredAt: event.metadata.occurredAt.toISOString(),
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    actor: event.metadata.actor,
    data,
  };
  return { topic: TOPICS.milestone, envelope };
};

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
