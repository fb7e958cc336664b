import {
  disbursementEventSchemas,
  type DisbursementIntegrationEventType,
  TOPICS,
} from '@lib/contracts';
import { publicEventMapping, type RelayMapping } from '@lib/event-store';
import type { DisbursementEvent } from './disbursement';

const PREFIX = 'disbursement-';

/**
 * Internal Disbursement events → `disbursements.disbursement.v1`, keyed by disbursement id.
 * Holds, receiver changes, retries and tx hashes stay private (settlement and grants act on the
 * lifecycle only); treasury-state events are never published.
 */
export const disbursementOutbound: RelayMapping = publicEventMapping({
  topic: TOPICS.disbursement,
  contracts: disbursementEventSchemas,
  publicData: (event) =>
    event.streamId.startsWith(PREFIX) ? publicData(event as unknown as DisbursementEvent) : null,
  aggregateId: (event) => event.streamId.slice(PREFIX.length),
});

function publicData(
  event: DisbursementEvent,
): { type: DisbursementIntegrationEventType; data: Record<string, unknown> } | null {
  const ref = {
    disbursementId: event.data.disbursementId,
    grantId: event.data.grantId,
    tranche: event.data.tranche,
  };
  switch (event.type) {
    case 'DisbursementRequested': {
      const d = event.data;
      return {
        type: event.type,
        data: {
          ...ref,
          asset: d.asset,
          amount: d.amount,
          receiver: d.receiver,
          acceptedBy: d.acceptedBy,
          requestedAt: d.requestedAt,
        },
      };
    }
    case 'DisbursementApproved': {
      const d = event.data;
      return {
        type: event.type,
        data: {
          ...ref,
          approvedBy: d.approvedBy,
          approvals: d.approvals,
          required: d.required,
          approvedAt: d.approvedAt,
        },
      };
    }
    case 'DisbursementReleased': {
      const d = event.data;
      return {
        type: event.type,
        data: {
          ...ref,
          attempt: d.attempt,
          receiver: d.receiver,
          asset: d.asset,
          amount: d.amount,
          releasedAt: d.releasedAt,
        },
      };
    }
    case 'DisbursementSettled': {
      const d = event.data;
      return {
        type: event.type,
        data: { ...ref, attempt: d.attempt, txHash: d.txHash, settledAt: d.settledAt },
      };
    }
    case 'DisbursementFailed': {
      const d = event.data;
      return {
        type: event.type,
        data: { ...ref, attempt: d.attempt, reason: d.reason, failedAt: d.failedAt },
      };
    }
    case 'DisbursementCancelled': {
      const d = event.data;
      return {
        type: event.type,
        data: { ...ref, reason: d.reason, cancelledBy: d.cancelledBy, cancelledAt: d.cancelledAt },
      };
    }
    case 'DisbursementReceiverChanged':
    case 'DisbursementHeld':
    case 'DisbursementHoldLifted':
    case 'DisbursementPayoutSubmitted':
    case 'DisbursementRetried':
      return null;
    default: {
      const unknownEvent: never = event;
      throw new Error(`unmapped disbursement event ${JSON.stringify(unknownEvent)}`);
    }
  }
}
