// Shared by this library's Nest int tests (real Kafka); not exported from the library.
import type { INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IntegrationEventPublisher } from '../integration-event.publisher';
import { fastConsumer, testKafka, uniqueGroup } from '../kafka.test-kit';
import { KafkaEventExceptionFilter } from './kafka-event.exception-filter';
import { KafkaEventServer, type KafkaEventServerOptions } from './kafka-event.server';

/**
 * Serves `module`'s `@EventPattern` handlers through a {@link KafkaEventServer} (a fresh group,
 * fast membership, the exception filter) from before all tests of the enclosing `describe` to
 * after them, with a publisher connected for that time.
 */
export function nestListenerTestBed(
  module: Type,
  server: Omit<KafkaEventServerOptions, 'service' | 'kafka'> & { service: string },
) {
  const kafka = testKafka(server.service);
  const publisher = new IntegrationEventPublisher(kafka, server.registry);
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    app = await NestFactory.createMicroservice(module, {
      strategy: new KafkaEventServer({
        groupId: uniqueGroup(server.service),
        consumerConfig: fastConsumer,
        ...server,
        kafka,
      }),
      logger: false,
    });
    app.useGlobalFilters(new KafkaEventExceptionFilter());
    await app.listen(); // creates the handlers' topics and their .dlq topics
    await publisher.connect();
  });

  afterAll(async () => {
    await publisher.disconnect();
    await app?.close();
  });

  return { kafka, publisher };
}
