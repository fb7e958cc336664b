import { randomBytes } from 'node:crypto';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { type IntegrationEnvelope, integrationContracts } from '@lib/contracts';
import { parseIntegrationEvent } from '@lib/messaging';
import { TEST_KAFKA_BROKERS } from './defaults';

/** What a tail has read so far, parsed against the contracts as any consumer would. */
export interface TopicTail {
  readonly messages: IntegrationEnvelope[];
  stop(): Promise<void>;
}

/**
 * Reads `topic` from its current end (a topic keeps every earlier run's messages): everything
 * published after this resolves lands in `messages`. Stop it in afterAll.
 */
export async function tailTopic(
  topic: string,
  options: {
    brokers?: string[];
    name?: string;
    /** Called for each message too, with the Kafka key it was sent with. */
    onMessage?: (envelope: IntegrationEnvelope, key: string | undefined) => void;
  } = {},
): Promise<TopicTail> {
  const name = options.name ?? 'test-tail';
  const kafka = new Kafka({
    clientId: name,
    brokers: options.brokers ?? TEST_KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({
    groupId: `${name}-${randomBytes(4).toString('hex')}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const registry = integrationContracts();
  const messages: IntegrationEnvelope[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const envelope = parseIntegrationEvent(registry, message.value);
      messages.push(envelope);
      options.onMessage?.(envelope, message.key?.toString());
    },
  });
  for (const { partition, offset } of ends) consumer.seek({ topic, partition, offset });
  return { messages, stop: () => consumer.disconnect() };
}
