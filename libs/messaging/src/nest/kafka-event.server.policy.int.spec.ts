import { ContractRegistry, deadLetterTopic, type IntegrationEnvelope } from '@lib/contracts';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IntegrationEventPublisher } from '../integration-event.publisher';
import {
  fastConsumer,
  testEnvelope,
  testKafka,
  topicSize,
  uniqueGroup,
  uniqueTopic,
  waitFor,
} from '../kafka.test-kit';
import { KafkaEventExceptionFilter } from './kafka-event.exception-filter';
import { KafkaEventServer } from './kafka-event.server';

const registry = new ContractRegistry().register(
  'TestHappened',
  1,
  z.object({ n: z.number().int() }),
);
const kafka = testKafka('nest-policy');

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

  let app: INestMicroservice;
  const publisher = new IntegrationEventPublisher(kafka, registry);

  beforeAll(async () => {
    app = await NestFactory.createMicroservice(ListenerModule, {
      strategy: new KafkaEventServer({
        service: 'test-nest-policy',
        groupId: uniqueGroup('nest-policy'),
        kafka,
        registry,
        maxAttempts: 2,
        handlerFailurePolicy: { [topic]: 'retry-forever' },
        backoff: { initialMs: 20, maxMs: 50, multiplier: 2 },
        consumerConfig: fastConsumer,
      }),
      logger: false,
    });
    app.useGlobalFilters(new KafkaEventExceptionFilter());
    await app.listen();
    await publisher.connect();
  });

  afterAll(async () => {
    await publisher.disconnect();
    await app?.close();
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
