import {
  deadLetterTopic,
  HEADERS,
  type IntegrationEnvelope,
  integrationEnvelopeSchema,
} from '@lib/contracts';
import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { metrics } from '@lib/platform';
import { Counter, register } from 'prom-client';
import { SubscriptionRunner, type SubscriptionOptions } from './subscription-runner';
import type { StoredEvent } from './types';

/** Where and how one event is published; `null` keeps the event private. */
export type RelayMapping = (
  event: StoredEvent,
) => { topic: string; envelope: IntegrationEnvelope } | null;

/** Options of {@link KafkaRelay}. */
export interface KafkaRelayOptions extends Omit<
  SubscriptionOptions,
  'handle' | 'onReset' | 'beforeCheckpoint'
> {
  /** A connected producer; {@link createRelayProducer} makes an idempotent one. */
  producer: Producer;
  toMessage: RelayMapping;
  /** Runs after the batch is acknowledged by Kafka, before the checkpoint commits. */
  afterPublish?: (events: StoredEvent[]) => Promise<void>;
  /**
   * Where an event whose mapping or contract parse throws is dead-lettered (`<topic>.dlq`, which
   * `ensureTopics` creates). Default: the `topic` of a {@link RelayMappingError}, else the topic
   * the rest of the batch (or the last batch) published to, else `<name>.dlq`.
   */
  deadLetterTopic?: string | ((event: StoredEvent) => string);
  /**
   * Called once per dead-lettered event, after Kafka acknowledged it; log it at error level.
   * Must not throw. Default: one JSON error line on stderr.
   */
  onDeadLetter?: (letter: RelayDeadLetter) => void;
}

/** A mapping failure that names the topic the event was meant for. */
export class RelayMappingError extends Error {
  constructor(
    readonly topic: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RelayMappingError';
  }
}

/** An event the relay could not publish because its own contract rejected it. */
export interface RelayDeadLetter {
  relay: string;
  /** The `<topic>.dlq` it was written to. */
  topic: string;
  event: StoredEvent;
  error: string;
}

/** Dead-letter reason header value of relay-side (producer) contract failures. */
export const RELAY_DEAD_LETTER_REASON = 'producer-contract';

/** Events the relay dead-lettered because their mapping or contract parse threw. */
export const relayDeadLetters: Counter<'relay' | 'topic'> =
  (register.getSingleMetric('event_store_relay_dead_letters_total') as
    Counter<'relay' | 'topic'> | undefined) ??
  new Counter({
    name: 'event_store_relay_dead_letters_total',
    help: 'Events the Kafka relay dead-lettered because their mapping or contract parse failed',
    labelNames: ['relay', 'topic'],
  });

const UUID_SUFFIX = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The aggregate id of a `<aggregate>-<uuid>` stream (the uuid), else the stream id itself. */
export function aggregateIdOf(streamId: string): string {
  return UUID_SUFFIX.exec(streamId)?.[1] ?? streamId;
}

/** What an integration envelope takes from elsewhere than the stored event itself. */
export interface EnvelopeOverrides {
  /** The public event type; default the stored event's. */
  type?: string;
  /** The contract's schema version; default the stored event's. */
  schemaVersion?: number;
  /** The Kafka key; default the stream's uuid ({@link aggregateIdOf}). */
  aggregateId?: string;
  /** The public data; default the stored event's. */
  data?: Record<string, unknown>;
}

/**
 * Builds the integration envelope of a stored event: its id, stream version and metadata, with
 * the type, schema version, aggregate id and data of the stored event unless `overrides` gives
 * them. Without overrides, use it in a {@link RelayMapping} when the internal event is also the
 * public contract; when it is not, {@link publicEventMapping} maps and checks the data.
 */
export function toIntegrationEnvelope(
  event: StoredEvent,
  overrides: EnvelopeOverrides = {},
): IntegrationEnvelope {
  return {
    eventId: event.eventId,
    type: overrides.type ?? event.type,
    schemaVersion: overrides.schemaVersion ?? event.schemaVersion,
    aggregateId: overrides.aggregateId ?? aggregateIdOf(event.streamId),
    streamVersion: event.streamVersion,
    occurredAt: event.metadata.occurredAt.toISOString(),
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    actor: event.metadata.actor,
    data: overrides.data ?? event.data,
  };
}

/** A table of public contracts as `@lib/contracts` exports them: type → version and data schema. */
export type PublicContracts = Readonly<
  Record<
    string,
    { readonly schemaVersion: number; readonly data: { parse(data: unknown): unknown } }
  >
>;

/** The public form of an internal event: its contract's type and the data before the parse. */
export interface PublicEvent<Type extends string = string> {
  type: Type;
  data: unknown;
}

/** Options of {@link publicEventMapping}. */
export interface PublicEventMappingOptions<Contracts extends PublicContracts> {
  topic: string;
  contracts: Contracts;
  /** The event's public type and data, or `null` to keep it private. Pure. */
  publicData: (event: StoredEvent) => PublicEvent<keyof Contracts & string> | null;
  /**
   * The envelope's aggregate id (the Kafka key, so the partition and order) from the event and its
   * parsed public data. Default: the stream's uuid ({@link aggregateIdOf}).
   */
  aggregateId?: (event: StoredEvent, data: Record<string, unknown>) => string;
}

/**
 * The {@link RelayMapping} of a service's public events: `publicData` picks and maps, the data is
 * parsed by its contract (`contracts[type].data`) before it leaves, and the envelope carries the
 * contract's type and schema version. A parse that fails is a bug in the mapping: it throws, and
 * the relay dead-letters the event rather than publish something consumers would reject.
 */
export function publicEventMapping<Contracts extends PublicContracts>(
  options: PublicEventMappingOptions<Contracts>,
): RelayMapping {
  const { topic, contracts, publicData, aggregateId } = options;
  return (event) => {
    const mapped = publicData(event);
    if (!mapped) return null;
    const contract = contracts[mapped.type];
    const data = contract.data.parse(mapped.data) as Record<string, unknown>;
    const envelope = toIntegrationEnvelope(event, {
      type: mapped.type,
      schemaVersion: contract.schemaVersion,
      aggregateId: aggregateId?.(event, data),
      data,
    });
    return { topic, envelope };
  };
}

/** The Kafka message for an envelope: key = aggregate id, value = JSON, headers from `HEADERS`. */
export function toKafkaMessage(envelope: IntegrationEnvelope): Message {
  const parsed = integrationEnvelopeSchema.parse(envelope);
  return {
    key: parsed.aggregateId,
    value: JSON.stringify(parsed),
    headers: {
      [HEADERS.eventId]: parsed.eventId,
      [HEADERS.eventType]: parsed.type,
      [HEADERS.schemaVersion]: String(parsed.schemaVersion),
      [HEADERS.correlationId]: parsed.correlationId,
    },
  };
}

/**
 * An idempotent producer (acks=all, one request in flight, so retries neither duplicate nor
 * reorder within a partition) with the default partitioner (murmur2 of the key, as Java clients).
 */
export function createRelayProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/**
 * Publishes the store's public events to Kafka as a subscription: read a batch in commit-safe
 * order → `sendBatch` with acks=-1 → then commit the checkpoint. A crash between the two re-publishes
 * the batch (at-least-once); consumers dedupe by event id (`withInbox`). No dual writes.
 * Checkpoints commit asynchronously by default (`asyncCommit`): a database crash can only move
 * them back, which re-publishes.
 *
 * An event whose mapping (or envelope parse) throws is a bug in that event's contract, and would
 * throw again on every retry: it goes to `<topic>.dlq` in the same batch (value: the stored event
 * and the error; headers `dlq-reason: producer-contract`, `dlq-error`, the stream and version),
 * is counted in `event_store_relay_dead_letters_total` and logged at error level, and the events
 * behind it publish. Kafka errors still retry the whole batch.
 */
export class KafkaRelay extends SubscriptionRunner {
  constructor(options: KafkaRelayOptions) {
    const {
      producer,
      toMessage,
      afterPublish,
      deadLetterTopic: dlqOption,
      onDeadLetter,
      ...subscription
    } = options;
    let lastTopic: string | undefined;
    super({
      // A lost checkpoint only re-publishes (consumers dedupe), so don't wait for its WAL flush.
      asyncCommit: true,
      ...subscription,
      handle: async (events) => {
        const byTopic = new Map<string, Message[]>();
        const failed: { event: StoredEvent; error: unknown }[] = [];
        for (const event of events) {
          // A mapping is a pure function of the event: if it throws once it throws forever, so
          // retrying would stop the relay for every event behind this one. Dead-letter it instead.
          let message: { topic: string; message: Message } | null;
          try {
            const mapped = toMessage(event);
            message = mapped && { topic: mapped.topic, message: toKafkaMessage(mapped.envelope) };
          } catch (error) {
            failed.push({ event, error });
            continue;
          }
          if (!message) continue;
          const messages = byTopic.get(message.topic) ?? [];
          messages.push(message.message);
          byTopic.set(message.topic, messages);
        }
        const fallbackTopic = busiestTopic(byTopic) ?? lastTopic;
        const letters: RelayDeadLetter[] = failed.map(({ event, error }) => ({
          relay: subscription.name,
          topic: deadLetterTopicOf(dlqOption, event, error, fallbackTopic, subscription.name),
          event,
          error: describeRelayError(error),
        }));
        for (const letter of letters) {
          const messages = byTopic.get(letter.topic) ?? [];
          messages.push(deadLetterMessage(letter));
          byTopic.set(letter.topic, messages);
        }
        if (byTopic.size > 0) {
          const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({
            topic,
            messages,
          }));
          const publishStarted = Date.now();
          await producer.sendBatch({ topicMessages, acks: -1 });
          metrics.relayPublished(
            subscription.name,
            publishStarted,
            events.map((e) => e.recordedAt),
          );
        }
        lastTopic = fallbackTopic;
        for (const letter of letters) {
          relayDeadLetters.inc({ relay: letter.relay, topic: letter.topic });
          (onDeadLetter ?? logDeadLetter)(letter);
        }
        await afterPublish?.(events);
      },
    });
  }
}

function logDeadLetter(letter: RelayDeadLetter): void {
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'relay dead-lettered an event its own contract rejected',
      relay: letter.relay,
      deadLetterTopic: letter.topic,
      eventId: letter.event.eventId,
      type: letter.event.type,
      streamId: letter.event.streamId,
      streamVersion: letter.event.streamVersion,
      error: letter.error,
    }),
  );
}

function busiestTopic(byTopic: Map<string, Message[]>): string | undefined {
  let best: string | undefined;
  let count = 0;
  for (const [topic, messages] of byTopic) {
    if (messages.length > count) [best, count] = [topic, messages.length];
  }
  return best;
}

function deadLetterTopicOf(
  option: KafkaRelayOptions['deadLetterTopic'],
  event: StoredEvent,
  error: unknown,
  fallbackTopic: string | undefined,
  relayName: string,
): string {
  if (typeof option === 'string') return option;
  if (option) return option(event);
  if (error instanceof RelayMappingError) return deadLetterTopic(error.topic);
  return deadLetterTopic(fallbackTopic ?? relayName);
}

function describeRelayError(error: unknown, max = 2000): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The dead-letter record: the stored event as JSON, the error and reason in `dlq-*` headers. */
function deadLetterMessage(letter: RelayDeadLetter): Message {
  const { event } = letter;
  return {
    key: aggregateIdOf(event.streamId),
    value: JSON.stringify({ relay: letter.relay, error: letter.error, event }),
    headers: {
      [HEADERS.eventId]: event.eventId,
      [HEADERS.eventType]: event.type,
      [HEADERS.schemaVersion]: String(event.schemaVersion),
      [HEADERS.correlationId]: event.metadata.correlationId,
      [HEADERS.dlqError]: letter.error,
      [HEADERS.dlqAttempts]: '1',
      [HEADERS.dlqOriginalTopic]: letter.topic.replace(/\.dlq$/, ''),
      'dlq-reason': RELAY_DEAD_LETTER_REASON,
      'dlq-relay': letter.relay,
      'dlq-stream-id': event.streamId,
      'dlq-stream-version': String(event.streamVersion),
      'dlq-failed-at': new Date().toISOString(),
    },
  };
}
