import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const storage = new AsyncLocalStorage<{ correlationId: string }>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The correlation id of the request or message being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/**
 * A correlation id as this system accepts one: a UUID (lower-cased). Anything else — a client's
 * free text, an over-long header, an array — is not an id: the caller gets a fresh UUID, so no
 * client text reaches event metadata or the audit chain.
 */
export function correlationIdFrom(value: unknown): string {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : randomUUID();
}

/** True when `value` would be kept as a correlation id (a UUID). */
export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Runs `fn` with `correlationId` visible to logs and to events appended inside it (a fresh one
 * when undefined). Trusted sources only (our own Kafka envelopes); an HTTP header goes through
 * {@link correlationIdFrom} first.
 */
export function withCorrelationId<T>(correlationId: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: correlationId ?? randomUUID() }, fn);
}

export const CORRELATION_HEADER = 'x-correlation-id';
