import {
  grantEventSchemas,
  type GrantIntegrationEventData,
  type GrantIntegrationEventType,
  TOPICS,
} from '@lib/contracts';
import { publicEventMapping, type RelayMapping } from '@lib/event-store';
import { assertNever, type GrantEvent } from './grant';

/**
 * Internal Grant events → public `grants.grant.v1` contracts. A proposed payout account that no
 * admin approved yet and our own settlement bookkeeping stay private.
 */
export const grantOutbound: RelayMapping = publicEventMapping({
  topic: TOPICS.grant,
  contracts: grantEventSchemas,
  publicData: (event) => publicData(event as unknown as GrantEvent),
});

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
