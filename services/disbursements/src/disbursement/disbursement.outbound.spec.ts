import { randomUUID } from 'node:crypto';
import { disbursementEventSchemas, TOPICS } from '@lib/contracts';
import type { StoredEvent } from '@lib/event-store';
import type { DisbursementEvent } from './disbursement';
import { disbursementOutbound } from './disbursement.outbound';

const grantId = randomUUID();
const id = `${grantId}-2`;
const ref = { disbursementId: id, grantId, tranche: 2 };
const at = '2026-12-01T10:00:00.000Z';

const stored = (event: DisbursementEvent, streamId = `disbursement-${id}`): StoredEvent => ({
  eventId: randomUUID(),
  type: event.type,
  schemaVersion: 1,
  streamId,
  streamVersion: 3,
  globalPosition: '10',
  transactionId: '5',
  data: event.data,
  metadata: { correlationId: 'c', causationId: null, actor: 'alice', occurredAt: new Date(at) },
  recordedAt: new Date(at),
  hash: '00',
});

const publicEvents: DisbursementEvent[] = [
  {
    type: 'DisbursementRequested',
    data: {
      ...ref,
      asset: 'USDC',
      amount: '5',
      receiver: 'ada.near',
      founder: 'ada.near',
      acceptedBy: 'rev',
      requestedAt: at,
    },
  },
  {
    type: 'DisbursementApproved',
    data: {
      ...ref,
      approvedBy: 'alice',
      comment: 'private',
      asset: 'USDC',
      amount: '5',
      receiver: 'ada.near',
      approvals: 1,
      required: 2,
      approvedAt: at,
    },
  },
  {
    type: 'DisbursementReleased',
    data: { ...ref, attempt: 1, receiver: 'ada.near', asset: 'USDC', amount: '5', releasedAt: at },
  },
  { type: 'DisbursementSettled', data: { ...ref, attempt: 1, txHash: 'h', settledAt: at } },
  {
    type: 'DisbursementFailed',
    data: { ...ref, attempt: 1, txHash: null, reason: 'no account', failedAt: at },
  },
  {
    type: 'DisbursementCancelled',
    data: { ...ref, reason: 'no', cancelledBy: 'alice', cancelledAt: at },
  },
];

describe('disbursement outbound', () => {
  it.each(publicEvents.map((e) => [e.type, e] as const))(
    '%s is published keyed by the disbursement id and matches its contract',
    (_type, event) => {
      const mapped = disbursementOutbound(stored(event))!;
      expect(mapped.topic).toBe(TOPICS.disbursement);
      expect(mapped.envelope.aggregateId).toBe(id);
      expect(mapped.envelope.type).toBe(event.type);
      const contract =
        disbursementEventSchemas[event.type as keyof typeof disbursementEventSchemas];
      expect(contract.data.strict().parse(mapped.envelope.data)).toEqual(mapped.envelope.data);
    },
  );

  it('Released carries what settlement pays: id, attempt, receiver, asset, amount', () => {
    expect(disbursementOutbound(stored(publicEvents[2]))!.envelope.data).toEqual({
      ...ref,
      attempt: 1,
      receiver: 'ada.near',
      asset: 'USDC',
      amount: '5',
      releasedAt: at,
    });
  });

  it('keeps holds, receiver changes, retries, hashes and the treasury switch private', () => {
    const privateEvents: DisbursementEvent[] = [
      { type: 'DisbursementHeld', data: { ...ref, heldBy: 'a', reason: 'r', heldAt: at } },
      { type: 'DisbursementHoldLifted', data: { ...ref, liftedBy: 'a', liftedAt: at } },
      {
        type: 'DisbursementReceiverChanged',
        data: {
          ...ref,
          previousReceiver: 'a.near',
          receiver: 'b.near',
          effectiveAt: at,
          voidedApprovals: [],
          changedAt: at,
        },
      },
      {
        type: 'DisbursementPayoutSubmitted',
        data: { ...ref, attempt: 1, txHash: 'h', submittedAt: at },
      },
      {
        type: 'DisbursementRetried',
        data: {
          ...ref,
          attempt: 2,
          retriedBy: 'a',
          approvalsKept: 1,
          approved: true,
          retriedAt: at,
        },
      },
    ];
    for (const event of privateEvents) expect(disbursementOutbound(stored(event))).toBeNull();
    expect(disbursementOutbound(stored(publicEvents[0], 'treasury-state'))).toBeNull();
  });
});
