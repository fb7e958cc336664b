import { randomBytes, randomUUID } from 'node:crypto';
import type { IntegrationEnvelope } from '@lib/contracts';

/**
 * An integration envelope as another service's relay would publish it: fresh event and
 * correlation ids, stream version 1 and actor `e2e` unless `fields` says otherwise.
 */
export function integrationEnvelope<T>(
  type: string,
  aggregateId: string,
  data: T,
  fields: Partial<Omit<IntegrationEnvelope<T>, 'type' | 'aggregateId' | 'data'>> = {},
): IntegrationEnvelope<T> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion: 1,
    occurredAt: new Date().toISOString(),
    correlationId: `corr-${randomUUID()}`,
    causationId: null,
    actor: 'e2e',
    data,
    ...fields,
  };
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A random NEAR transaction hash (base58, 44 characters). */
export const txHash = (): string =>
  Array.from(randomBytes(44), (byte) => BASE58[byte % BASE58.length]).join('');

/** A fresh NEAR account id: `<prefix>-<10 hex>.test.near`. */
export const freshAccountId = (prefix: string): string =>
  `${prefix}-${randomBytes(5).toString('hex')}.test.near`;
