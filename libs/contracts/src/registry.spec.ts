import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HEADERS } from './envelope';
import {
  ContractRegistry,
  encodeIntegrationEvent,
  IntegrationEventParseError,
  parseIntegrationEvent,
  topicEventsV1,
} from './registry';

const registry = new ContractRegistry()
  .register('ApplicationSubmitted', 1, z.object({ title: z.string() }).strict())
  .register('ApplicationSubmitted', 2, z.object({ title: z.string(), category: z.string() }));

const envelope = (overrides: Record<string, unknown> = {}) => ({
  eventId: randomUUID(),
  type: 'ApplicationSubmitted',
  schemaVersion: 1,
  aggregateId: `application-${randomUUID()}`,
  streamVersion: 1,
  occurredAt: '2026-01-02T03:04:05.000Z',
  correlationId: randomUUID(),
  causationId: null,
  actor: 'ada.near',
  data: { title: 'Verifiable inference' },
  ...overrides,
});
const raw = (value: unknown) => Buffer.from(JSON.stringify(value));
const parseError = (value: Buffer | null) => {
  try {
    parseIntegrationEvent(registry, value);
  } catch (error) {
    expect(error).toBeInstanceOf(IntegrationEventParseError);
    return (error as Error).message;
  }
  throw new Error('expected a parse error');
};

describe('ContractRegistry', () => {
  it('looks schemas up by type and version', () => {
    expect(registry.has('ApplicationSubmitted', 1)).toBe(true);
    expect(registry.has('ApplicationSubmitted', 3)).toBe(false);
    expect(registry.keys()).toEqual(['ApplicationSubmitted@v1', 'ApplicationSubmitted@v2']);
  });

  it('refuses to register a pair twice', () => {
    expect(() => registry.register('ApplicationSubmitted', 1, z.object({}))).toThrow(
      'already registered',
    );
  });

  it('registers a topic’s version-1 contracts at once', () => {
    const submitted = z.object({ title: z.string() });
    const withdrawn = z.object({});
    const topic = topicEventsV1({ Submitted: submitted, Withdrawn: withdrawn });
    expect(topic).toEqual({
      Submitted: { schemaVersion: 1, data: submitted },
      Withdrawn: { schemaVersion: 1, data: withdrawn },
    });
    const fromTopic = new ContractRegistry().registerTopic(topic);
    expect(fromTopic.keys()).toEqual(['Submitted@v1', 'Withdrawn@v1']);
    expect(fromTopic.get('Withdrawn', 1)).toBe(withdrawn);
    expect(() => fromTopic.registerTopic(topic)).toThrow('already registered');
  });
});

describe('parseIntegrationEvent', () => {
  it('returns the envelope with data parsed by its versioned schema', () => {
    const event = envelope({
      schemaVersion: 2,
      data: { title: 't', category: 'agents', extra: 1 },
    });
    const parsed = parseIntegrationEvent(registry, raw(event));
    expect(parsed).toEqual({ ...event, data: { title: 't', category: 'agents' } });
  });

  it('rejects a missing value, non-JSON and a non-envelope', () => {
    expect(parseError(null)).toBe('message has no value');
    expect(parseError(Buffer.from('{nope'))).toMatch(/^value is not JSON/);
    expect(parseError(raw({ ...envelope(), eventId: 'x' }))).toMatch(
      /^invalid envelope: eventId: Invalid uuid/,
    );
  });

  it('rejects an unknown type or version', () => {
    expect(parseError(raw(envelope({ type: 'GrantAwarded' })))).toBe(
      'unknown event type GrantAwarded v1',
    );
    expect(parseError(raw(envelope({ schemaVersion: 3 })))).toBe(
      'unknown event type ApplicationSubmitted v3',
    );
  });

  it('rejects data that fails its schema, naming the field', () => {
    expect(parseError(raw(envelope({ data: { title: 42 } })))).toBe(
      'invalid data for ApplicationSubmitted v1: title: Expected string, received number',
    );
  });
});

describe('encodeIntegrationEvent', () => {
  it('keys by aggregate id and sets the contract headers', () => {
    const event = envelope();
    const record = encodeIntegrationEvent(registry, event);
    expect(record.key).toBe(event.aggregateId);
    expect(JSON.parse(record.value.toString())).toEqual(event);
    expect(record.headers).toEqual({
      [HEADERS.eventId]: event.eventId,
      [HEADERS.eventType]: 'ApplicationSubmitted',
      [HEADERS.schemaVersion]: '1',
      [HEADERS.correlationId]: event.correlationId,
    });
    expect(parseIntegrationEvent(registry, record.value)).toEqual(event);
  });

  it('refuses to encode an event that breaks its contract', () => {
    expect(() => encodeIntegrationEvent(registry, envelope({ data: {} }))).toThrow(
      IntegrationEventParseError,
    );
  });
});
