import { HEADERS } from '@lib/contracts';
import { type IHeaders } from 'kafkajs';

/**
 * Dead-letter headers. The first five are the contract's (`HEADERS.dlq*`); the rest are added by
 * this library: why it was dead-lettered, by which consumer group, when, and when an operator
 * replayed it.
 */
export const DEAD_LETTER_HEADERS = {
  error: HEADERS.dlqError,
  attempts: HEADERS.dlqAttempts,
  originalTopic: HEADERS.dlqOriginalTopic,
  originalPartition: HEADERS.dlqOriginalPartition,
  originalOffset: HEADERS.dlqOriginalOffset,
  /** `unparseable` (failed its contract, never retried) or `handler-failed` (retries exhausted). */
  reason: 'dlq-reason',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
  replayedAt: 'dlq-replayed-at',
} as const;

/** Why a message was dead-lettered. */
export type DeadLetterReason = 'unparseable' | 'handler-failed';

const DEAD_LETTER_PREFIX = 'dlq-';

/** Kafka headers as plain strings (the last value wins for repeated headers). */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    decoded[name] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return decoded;
}

/** The headers without any `dlq-*` entry: what the original producer sent. */
export function withoutDeadLetterHeaders(headers: IHeaders | undefined): IHeaders {
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!name.startsWith(DEAD_LETTER_PREFIX) && value !== undefined) kept[name] = value;
  }
  return kept;
}

/** Dead-letter error text bounded to keep the record small (headers are not meant for stacks). */
export function describeError(error: unknown, max = 2000): string {
  let text: string;
  if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else if (typeof error === 'string') text = error;
  else {
    try {
      text = JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
