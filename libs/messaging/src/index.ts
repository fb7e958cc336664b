export * from './backoff';
export * from './dead-letter.replay';
export * from './headers';
export * from './integration-event.consumer';
export * from './integration-event.publisher';
export * from './kafka';
export * from './nest/kafka-event.context';
export * from './nest/kafka-event.exception-filter';
export * from './nest/kafka-event.server';
export {
  ContractRegistry,
  encodeIntegrationEvent,
  IntegrationEventParseError,
  parseIntegrationEvent,
  type EncodedIntegrationEvent,
} from '@lib/contracts';
export * from './nest/hybrid-service';
