import {
  type ContractRegistry,
  encodeIntegrationEvent,
  type IntegrationEnvelope,
} from '@lib/contracts';
import { type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import { createProducer } from './kafka';

/**
 * A plain producer of integration events for tools and tests: every event is validated against
 * the contracts registry, keyed by aggregate id and acknowledged by all in-sync replicas.
 * (Services publish through the event-store relay, not through this.)
 */
export class IntegrationEventPublisher {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly registry: ContractRegistry,
  ) {
    this.producer = createProducer(kafka);
  }

  /** Connects the producer. */
  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Validates and publishes one event to `topic`; throws `IntegrationEventParseError` if invalid. */
  async publish(topic: string, envelope: IntegrationEnvelope<unknown>): Promise<RecordMetadata[]> {
    if (!this.connected) throw new Error('publisher not connected');
    const record = encodeIntegrationEvent(this.registry, envelope);
    return this.producer.send({ topic, acks: -1, messages: [record] });
  }

  /** Disconnects the producer. Idempotent. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
