import { deadLetterTopic, HEADERS, type IntegrationEnvelope } from '@lib/contracts';
import { currentCorrelationId } from '@lib/platform';
import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { delay, from, tap } from 'rxjs';
import { z } from 'zod';
import { readTopic, testEnvelope, testRegistry, uniqueTopic, waitFor } from '../kafka.test-kit';
import { KafkaEventContext } from './kafka-event.context';
import { nestListenerTestBed } from './nest.test-kit';

const registry = testRegistry({ fail: z.boolean().optional() });

describe('KafkaEventServer (real Kafka, Nest microservice)', () => {
  const promiseTopic = uniqueTopic('nest-promise');
  const observableTopic = uniqueTopic('nest-observable');
  const received: Array<{ topic: string; envelope: IntegrationEnvelope; correlationId?: string }> =
    [];

  @Controller()
  class GrantListener {
    @EventPattern(promiseTopic)
    async onPromise(@Payload() envelope: IntegrationEnvelope, @Ctx() ctx: KafkaEventContext) {
      if (envelope.data.fail) throw new Error(`grant rule violated by ${envelope.eventId}`);
      received.push({ topic: ctx.getTopic(), envelope, correlationId: currentCorrelationId() });
    }

    @EventPattern(observableTopic)
    onObservable(@Payload() envelope: IntegrationEnvelope, @Ctx() ctx: KafkaEventContext) {
      // The server waits for the Observable to complete before it commits.
      return from([envelope]).pipe(
        delay(20),
        tap(() => received.push({ topic: ctx.getTopic(), envelope })),
      );
    }
  }

  @Module({ controllers: [GrantListener] })
  class ListenerModule {}

  const { kafka, publisher } = nestListenerTestBed(ListenerModule, {
    service: 'test-nest',
    registry,
    maxAttempts: 2,
    backoff: { initialMs: 20, maxMs: 20, multiplier: 1 },
  });

  it('dispatches each topic to its @EventPattern handler (Promise and Observable)', async () => {
    const onPromise = testEnvelope(`grant-${randomUUID()}`, { n: 1 });
    const onObservable = testEnvelope(`grant-${randomUUID()}`, { n: 2 });
    await publisher.publish(promiseTopic, onPromise);
    await publisher.publish(observableTopic, onObservable);

    await waitFor(() => received.length === 2, 'both handlers');
    const byTopic = Object.fromEntries(received.map((r) => [r.topic, r]));
    expect(byTopic[promiseTopic].envelope).toEqual(onPromise);
    expect(byTopic[promiseTopic].correlationId).toBe(onPromise.correlationId);
    expect(byTopic[observableTopic].envelope).toEqual(onObservable);
  });

  it('dead-letters what a handler keeps rejecting, with the handler’s own error', async () => {
    const failing = testEnvelope(`grant-${randomUUID()}`, { n: 3, fail: true });
    await publisher.publish(promiseTopic, failing);

    const [letter] = await readTopic(kafka, deadLetterTopic(promiseTopic), 1);
    expect(JSON.parse(letter.value!)).toEqual(failing);
    expect(letter.headers[HEADERS.dlqAttempts]).toBe('2');
    expect(letter.headers[HEADERS.dlqError]).toBe(
      `Error: grant rule violated by ${failing.eventId}`,
    );
  });
});
