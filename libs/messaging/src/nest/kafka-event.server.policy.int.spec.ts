import { deadLetterTopic, type IntegrationEnvelope } from '@lib/contracts';
import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { testEnvelope, testRegistry, topicSize, uniqueTopic, waitFor } from '../kafka.test-kit';
import { nestListenerTestBed } from './nest.test-kit';

const registry = testRegistry();

describe('KafkaEventServer handlerFailurePolicy (real Kafka, Nest microservice)', () => {
  const topic = uniqueTopic('nest-forever');
  const failures = new Map<string, number>();
  const handled: number[] = [];

  @Controller()
  class MoneyListener {
    @EventPattern(topic)
    async onEvent(@Payload() envelope: IntegrationEnvelope) {
      const failed = failures.get(envelope.eventId) ?? 0;
      if (envelope.data.n === 1 && failed < 4) {
        failures.set(envelope.eventId, failed + 1);
        throw new Error('database unavailable');
      }
      handled.push(envelope.data.n as number);
    }
  }

  @Module({ controllers: [MoneyListener] })
  class ListenerModule {}

  const { kafka, publisher } = nestListenerTestBed(ListenerModule, {
    service: 'test-nest-policy',
    registry,
    maxAttempts: 2,
    handlerFailurePolicy: { [topic]: 'retry-forever' },
    backoff: { initialMs: 20, maxMs: 50, multiplier: 2 },
  });

  it('retries a failing @EventPattern handler past maxAttempts instead of dead-lettering', async () => {
    const key = `grant-${randomUUID()}`;
    await publisher.publish(topic, testEnvelope(key, { n: 1 }));
    await publisher.publish(topic, testEnvelope(key, { n: 2 }));

    await waitFor(() => handled.length === 2, 'both messages');
    expect(handled).toEqual([1, 2]);
    expect([...failures.values()]).toEqual([4]);
    expect(await topicSize(kafka, deadLetterTopic(topic))).toBe(0);
  });
});
