import { z } from 'zod';

/**
 * The envelope every integration event travels in on Kafka (the message value, JSON).
 * `type` + `schemaVersion` select the payload schema; `data` is that payload.
 * Kafka key = `aggregateId`; headers carry event id, type, schema version and correlation id.
 */
export const integrationEnvelopeSchema = z.object({
  eventId: z.string().uuid(),
  type: z.string().min(1).max(100),
  schemaVersion: z.number().int().positive(),
  aggregateId: z.string().min(1).max(200),
  streamVersion: z.number().int().positive(),
  occurredAt: z.string().datetime({ offset: true }),
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200).nullable(),
  actor: z.string().min(1).max(200),
  data: z.record(z.unknown()),
});

export type IntegrationEnvelope<TData = Record<string, unknown>> = Omit<
  z.infer<typeof integrationEnvelopeSchema>,
  'data'
> & { data: TData };

/** Kafka header names set by the publisher (values are strings). */
export const HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
  /** On dead letters: the last error, attempt count, and where the message came from. */
  dlqError: 'dlq-error',
  dlqAttempts: 'dlq-attempts',
  dlqOriginalTopic: 'dlq-original-topic',
  dlqOriginalPartition: 'dlq-original-partition',
  dlqOriginalOffset: 'dlq-original-offset',
} as const;
