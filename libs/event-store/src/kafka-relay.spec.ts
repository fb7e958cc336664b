import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { publicEventMapping, toIntegrationEnvelope } from './kafka-relay';
import type { StoredEvent } from './types';

const occurredAt = new Date('2026-12-01T10:00:00.000Z');

function stored(type: string, data: Record<string, unknown>): StoredEvent {
  const id = randomUUID();
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 3,
    streamId: `grant-${id}`,
    streamVersion: 7,
    globalPosition: '7',
    transactionId: '1',
    data,
    metadata: { correlationId: 'corr-1', causationId: 'cause-1', actor: 'ada.near', occurredAt },
    recordedAt: occurredAt,
    hash: '',
  };
}

const contracts = {
  GrantAwarded: { schemaVersion: 1, data: z.object({ grantId: z.string(), amount: z.string() }) },
} as const;

describe('toIntegrationEnvelope', () => {
  it('carries the stored event as-is: id, stream version, metadata, the stream uuid as key', () => {
    const event = stored('GrantAwarded', { grantId: 'g', amount: '5' });
    expect(toIntegrationEnvelope(event)).toEqual({
      eventId: event.eventId,
      type: 'GrantAwarded',
      schemaVersion: 3,
      aggregateId: event.streamId.slice('grant-'.length),
      streamVersion: 7,
      occurredAt: '2026-12-01T10:00:00.000Z',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      actor: 'ada.near',
      data: { grantId: 'g', amount: '5' },
    });
  });

  it('takes type, schema version, key and data from the overrides', () => {
    const event = stored('GrantAwardedInternally', { secret: 1 });
    expect(
      toIntegrationEnvelope(event, {
        type: 'GrantAwarded',
        schemaVersion: 1,
        aggregateId: 'key-1',
        data: { grantId: 'g' },
      }),
    ).toMatchObject({
      eventId: event.eventId,
      type: 'GrantAwarded',
      schemaVersion: 1,
      aggregateId: 'key-1',
      data: { grantId: 'g' },
    });
  });
});

describe('publicEventMapping', () => {
  it('publishes the contract-parsed public data with the contract type and version', () => {
    const mapping = publicEventMapping({
      topic: 'grants.grant.v1',
      contracts,
      publicData: (event) => ({ type: 'GrantAwarded', data: { ...event.data, internal: true } }),
    });
    const event = stored('GrantAwardedInternally', { grantId: 'g', amount: '5' });
    expect(mapping(event)).toEqual({
      topic: 'grants.grant.v1',
      envelope: {
        ...toIntegrationEnvelope(event),
        type: 'GrantAwarded',
        schemaVersion: 1,
        data: { grantId: 'g', amount: '5' }, // the contract strips what it does not know
      },
    });
  });

  it('keeps an event private when publicData gives null', () => {
    const mapping = publicEventMapping({ topic: 't', contracts, publicData: () => null });
    expect(mapping(stored('GrantAwarded', {}))).toBeNull();
  });

  it('keys the envelope by aggregateId of the event and its parsed data', () => {
    const mapping = publicEventMapping({
      topic: 't',
      contracts,
      publicData: (event) => ({ type: 'GrantAwarded', data: event.data }),
      aggregateId: (event, data) => `${String(data.grantId)}@${event.streamVersion}`,
    });
    const mapped = mapping(stored('GrantAwarded', { grantId: 'g', amount: '5' }));
    expect(mapped?.envelope.aggregateId).toBe('g@7');
  });

  it('throws when the data breaks its contract (the relay dead-letters it)', () => {
    const mapping = publicEventMapping({
      topic: 't',
      contracts,
      publicData: (event) => ({ type: 'GrantAwarded', data: event.data }),
    });
    expect(() => mapping(stored('GrantAwarded', { grantId: 'g', amount: 5 }))).toThrow(z.ZodError);
  });
});
