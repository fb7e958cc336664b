import { type z } from 'zod';
import { HEADERS, type IntegrationEnvelope, integrationEnvelopeSchema } from './envelope';

/** Any zod schema for an integration event's `data`. */
export type DataSchema = z.ZodTypeAny;

/** A topic's public events: each envelope `type` with its `schemaVersion` and `data` schema. */
export type TopicEventSchemas = Record<string, { schemaVersion: number; data: DataSchema }>;

/**
 * A topic's version-1 contracts from its `type → data schema` map:
 * `topicEventsV1({ GrantAwarded: grantAwardedV1 })` is `{ GrantAwarded: { schemaVersion: 1, data } }`.
 */
export function topicEventsV1<const Schemas extends Record<string, DataSchema>>(
  schemas: Schemas,
): {
  readonly [Type in keyof Schemas]: { readonly schemaVersion: 1; readonly data: Schemas[Type] };
} {
  return Object.fromEntries(
    Object.entries(schemas).map(([type, data]) => [type, { schemaVersion: 1, data }]),
  ) as { [Type in keyof Schemas]: { schemaVersion: 1; data: Schemas[Type] } };
}

/** The `data` type of event `Type` of a topic's contracts. */
export type TopicEventData<Schemas extends TopicEventSchemas, Type extends keyof Schemas> = z.infer<
  Schemas[Type]['data']
>;

/**
 * Which payload schema belongs to which `(type, schemaVersion)` of integration event.
 * Producers validate against it before publishing and consumers parse against it on receipt;
 * a pair that is not registered does not parse. A consumer registers every type that can appear
 * on the topics it reads (types it ignores included), so nothing is silently dropped.
 */
export class ContractRegistry {
  private readonly schemas = new Map<string, DataSchema>();

  /** Registers the `data` schema of `type` version `schemaVersion`; registering a pair twice throws. */
  register(type: string, schemaVersion: number, schema: DataSchema): this {
    const key = registryKey(type, schemaVersion);
    if (this.schemas.has(key)) {
      throw new Error(`contract ${key} is already registered`);
    }
    this.schemas.set(key, schema);
    return this;
  }

  /** Registers every event of a topic's contracts (see {@link topicEventsV1}). */
  registerTopic(schemas: TopicEventSchemas): this {
    for (const [type, contract] of Object.entries(schemas)) {
      this.register(type, contract.schemaVersion, contract.data);
    }
    return this;
  }

  /** The `data` schema of `type` version `schemaVersion`, or undefined when not registered. */
  get(type: string, schemaVersion: number): DataSchema | undefined {
    return this.schemas.get(registryKey(type, schemaVersion));
  }

  /** Whether `(type, schemaVersion)` is registered. */
  has(type: string, schemaVersion: number): boolean {
    return this.schemas.has(registryKey(type, schemaVersion));
  }

  /** Every registered pair, as `type@vN` strings (for logs and health output). */
  keys(): string[] {
    return [...this.schemas.keys()];
  }
}

const registryKey = (type: string, schemaVersion: number): string => `${type}@v${schemaVersion}`;

/**
 * An integration event that does not match its contract: not JSON, not an envelope, an unknown
 * `(type, schemaVersion)`, or `data` that fails its schema. Never worth retrying.
 */
export class IntegrationEventParseError extends Error {
  override readonly name = 'IntegrationEventParseError';
  readonly code = 'INTEGRATION_EVENT_INVALID';
}

/**
 * Parses a Kafka message value into an envelope whose `data` passed its registered schema
 * (the returned `data` is the schema's output). Throws {@link IntegrationEventParseError}.
 */
export function parseIntegrationEvent(
  registry: ContractRegistry,
  rawValue: Buffer | string | null | undefined,
): IntegrationEnvelope {
  if (rawValue === null || rawValue === undefined || rawValue.length === 0) {
    throw new IntegrationEventParseError('message has no value');
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof rawValue === 'string' ? rawValue : rawValue.toString('utf8'));
  } catch (error) {
    throw new IntegrationEventParseError(`value is not JSON: ${(error as Error).message}`);
  }
  return validateEnvelope(registry, json);
}

/** A Kafka record ready to produce: key = aggregate id, JSON value, string headers. */
export interface EncodedIntegrationEvent {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Validates `envelope` against the envelope schema and its registered `data` schema and encodes it
 * as a Kafka record (key = aggregateId; headers event-id, event-type, schema-version,
 * correlation-id). Throws {@link IntegrationEventParseError} instead of producing a bad event.
 */
export function encodeIntegrationEvent(
  registry: ContractRegistry,
  envelope: IntegrationEnvelope<unknown>,
): EncodedIntegrationEvent {
  const valid = validateEnvelope(registry, envelope);
  return {
    key: valid.aggregateId,
    value: Buffer.from(JSON.stringify(valid), 'utf8'),
    headers: {
      [HEADERS.eventId]: valid.eventId,
      [HEADERS.eventType]: valid.type,
      [HEADERS.schemaVersion]: String(valid.schemaVersion),
      [HEADERS.correlationId]: valid.correlationId,
    },
  };
}

function validateEnvelope(registry: ContractRegistry, candidate: unknown): IntegrationEnvelope {
  const envelope = integrationEnvelopeSchema.safeParse(candidate);
  if (!envelope.success) {
    throw new IntegrationEventParseError(`invalid envelope: ${describeIssues(envelope.error)}`);
  }
  const { type, schemaVersion } = envelope.data;
  const schema = registry.get(type, schemaVersion);
  if (!schema) {
    throw new IntegrationEventParseError(`unknown event type ${type} v${schemaVersion}`);
  }
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) {
    throw new IntegrationEventParseError(
      `invalid data for ${type} v${schemaVersion}: ${describeIssues(data.error)}`,
    );
  }
  return { ...envelope.data, data: data.data as Record<string, unknown> };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
