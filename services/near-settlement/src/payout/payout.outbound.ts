import {
  payoutEventSchemas,
  TOPICS,
  type IntegrationEnvelope,
  type PayoutIntegrationEventType,
} from '@lib/contracts';
import type { RelayMapping } from '@lib/event-store';

const PUBLIC = new Set<string>(Object.keys(payoutEventSchemas));

/**
 * Internal Payout / reconciliation events → `settlements.payout.v1`. PayoutSubmitted, Settled,
 * Failed and ReconciliationDiscrepancyFound are public (keyed by disbursement id, or by the
 * discrepancy id); signing and death proofs stay private. Data is parsed against the contract
 * before it leaves: a mismatch stops the relay loudly rather than publishing a bad event.
 */
export const payoutOutbound: RelayMapping = (event) => {
  if (!PUBLIC.has(event.type)) return null;
  const contract = payoutEventSchemas[event.type as PayoutIntegrationEventType];
  const data = contract.data.parse(event.data) as Record<string, unknown>;
  const key = data.disbursementId ?? data.discrepancyId;
  const aggregateId = typeof key === 'string' ? key : event.streamId;
  const envelope: IntegrationEnvelope = {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: 1,
    aggregateId,
    streamVersion: event.streamVersion,
    occurredAt: event.metadata.occurredAt.toISOString(),
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    actor: event.metadata.actor,
    data,
  };
  return { topic: TOPICS.payout, envelope };
};
