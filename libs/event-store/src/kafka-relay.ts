import { HEADERS, type IntegrationEnvelope, integrationEnvelopeSchema } from '@lib/contracts';
import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import { Partitioners } from 'kafkajs';
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
}

const UUID_SUFFIX = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The aggregate id of a `<aggregate>-<uuid>` stream (the uuid), else the stream id itself. */
export function aggregateIdOf(streamId: string): string {
  return UUID_SUFFIX.exec(streamId)?.[1] ?? streamId;
}

/**
 * Builds the integration envelope of a stored event as-is (same type, schema version and data).
 * Use it in a {@link RelayMapping} when the internal event is also the public contract; map
 * `data` yourself when it is not.
 */
export function toIntegrationEnvelope(event: StoredEvent): IntegrationEnvelope {
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    aggregateId: aggregateIdOf(event.streamId),
    streamVersion: event.streamVersion,
    occurredAt: event.metadata.occurredAt.toISOString(),
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    actor: event.metadata.actor,
    data: event.data,
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
 */
export class KafkaRelay extends SubscriptionRunner {
  constructor(options: KafkaRelayOptions) {
    const { producer, toMessage, afterPublish, ...subscription } = options;
    super({
      // A lost checkpoint only re-publishes (consumers dedupe), so don't wait for its WAL flush.
      asyncCommit: true,
      ...subscription,
      handle: async (events) => {
        const byTopic = new Map<string, Message[]>();
        for (const event of events) {
          const mapped = toMessage(event);
          if (!mapped) continue;
          const messages = byTopic.get(mapped.topic) ?? [];
          messages.push(toKafkaMessage(mapped.envelope));
          byTopic.set(mapped.topic, messages);
        }
        if (byTopic.size > 0) {
          const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({
            topic,
            messages,
          }));
          await producer.sendBatch({ topicMessages, acks: -1 });
        }
        await afterPublish?.(events);
      },
    });
  }
}
