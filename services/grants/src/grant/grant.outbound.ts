import {
  grantEventSchemas,
  type GrantIntegrationEventData,
  type GrantIntegrationEventType,
  type IntegrationEnvelope,
  TOPICS,
} from '@lib/contracts';
import { aggregateIdOf, type RelayMapping } from '@lib/event-store';
import { assertNever, type GrantEvent } from './grant';

/**
 * Internal Grant events → public `grants.grant.v1` contracts. A proposed payout account that no
 * admin approved yet and our own settlement bookkeeping stay private.
 */
export const grantOutbound: RelayMapping = (event) => {
  const mapped = publicData(event as unknown as GrantEvent);
  if (!mapped) return null;
  // Validated against the published contract before it leaves (a mismatch is a bug: the relay
  // dead-letters it loudly rather than publish something consumers would reject).
  const data = grantEventSchemas[mapped.type].data.parse(mapped.data) as Record<string, unknown>;
  const envelope: IntegrationEnvelope = {
    eventId: event.eventId,
    type: mapped.type,
    schemaVersion: 1,
    aggregateId: aggregateIdOf(event.streamId),
    streamVersion: event.streamVersion,
    occurredAt: event.metadata.occurredAt.toISOString(),
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    actor: event.metadata.actor,
    data,
  };
  return { topic: TOPICS.grant, envelope };
};

type Mapped = {
  [T in GrantIntegrationEventType]: { type: T; data: GrantIntegrationEventData<T> };
}[GrantIntegrationEventType];

function publicData(event: GrantEvent): Mapped | null {
  switch (event.type) {
    case 'GrantAwarded':
      return { type: 'GrantAwarded', data: { ...event.data } };
    case 'GrantActivated': {
      const { signerPublicKey: _key, acceptedBy: _by, ...data } = event.data;
      return { type: 'GrantActivated', data };
    }
    case 'PayoutAccountChanged':
      return { type: 'PayoutAccountChanged', data: { ...event.data } };
    case 'KycStatusChanged':
      return { type: 'KycStatusChanged', data: { ...event.data } };
    case 'GrantCancelled': {
      const { previousStatus: _previous, ...data } = event.data;
      return { type: 'GrantCancelled', data };
    }
    case 'GrantCompleted':
      return { type: 'GrantCompleted', data: { ...event.data } };
    case 'PayoutAccountChangeRequested':
    case 'TrancheSettled':
      return null;
    default:
      return assertNever(event);
  }
}
