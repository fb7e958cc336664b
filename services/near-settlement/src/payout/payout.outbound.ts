import { payoutEventSchemas, TOPICS, type PayoutIntegrationEventType } from '@lib/contracts';
import { publicEventMapping, type RelayMapping } from '@lib/event-store';

const PUBLIC = new Set<string>(Object.keys(payoutEventSchemas));

/**
 * Internal Payout / reconciliation events → `settlements.payout.v1`. PayoutSubmitted, Settled,
 * Failed and ReconciliationDiscrepancyFound are public (keyed by disbursement id, or by the
 * discrepancy id); signing and death proofs stay private. Data is parsed against the contract
 * before it leaves: a mismatch stops the relay loudly rather than publishing a bad event.
 */
export const payoutOutbound: RelayMapping = publicEventMapping({
  topic: TOPICS.payout,
  contracts: payoutEventSchemas,
  publicData: (event) =>
    PUBLIC.has(event.type)
      ? { type: event.type as PayoutIntegrationEventType, data: event.data }
      : null,
  aggregateId: (event, data) => {
    const key = data.disbursementId ?? data.discrepancyId;
    return typeof key === 'string' ? key : event.streamId;
  },
});
