import { BaseRpcContext } from '@nestjs/microservices';
import { type IntegrationEventContext } from '../integration-event.consumer';

/**
 * What `@Ctx()` receives in an `@EventPattern` handler served by `KafkaEventServer`:
 * the message's topic, partition, offset, key, headers and the attempt number.
 */
export class KafkaEventContext extends BaseRpcContext<[IntegrationEventContext]> {
  /** Topic the event was read from. */
  getTopic(): string {
    return this.args[0].topic;
  }
  /** Partition the event was read from. */
  getPartition(): number {
    return this.args[0].partition;
  }
  /** Kafka offset as a decimal string. */
  getOffset(): string {
    return this.args[0].offset;
  }
  /** 1 on first delivery to this handler run, 2.. on in-process retries. */
  getAttempt(): number {
    return this.args[0].attempt;
  }
  /** Kafka headers as strings. */
  getHeaders(): Record<string, string> {
    return this.args[0].headers;
  }
  /** Everything above in one object. */
  getMessageContext(): IntegrationEventContext {
    return this.args[0];
  }
}
