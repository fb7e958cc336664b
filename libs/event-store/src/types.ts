import type { PoolClient } from 'pg';

/** Metadata every event carries; time and ids come from the caller, never from the store. */
export interface EventMetadata {
  correlationId: string;
  causationId?: string | null;
  actor: string;
  occurredAt: Date;
}

/** An event to append. `eventId` is a UUID chosen by the caller; re-appending it is a no-op. */
export interface NewEvent {
  eventId: string;
  type: string;
  /** Schema version of `data`; defaults to 1. */
  schemaVersion?: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

/** An event as stored (after upcasting to the latest schema version). */
export interface StoredEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  /** bigint as a decimal string. */
  globalPosition: string;
  /** xid8 of the appending transaction, as a decimal string. */
  transactionId: string;
  data: Record<string, unknown>;
  metadata: { correlationId: string; causationId: string | null; actor: string; occurredAt: Date };
  recordedAt: Date;
  /** sha256 of (previous hash || canonical event), hex. */
  hash: string;
}

/**
 * `number` = the stream must be at exactly this version (0 = must not exist);
 * `'no_stream'` = same as 0; `'any'` = no concurrency check.
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

/** Options for {@link PostgresEventStore.append}. */
export interface AppendOptions {
  /** Run inside the caller's transaction (the caller commits). */
  client?: PoolClient;
}

/** Result of an append. `alreadyAppended` = every event id was already in the stream; nothing written. */
export interface AppendResult {
  nextVersion: number;
  alreadyAppended: boolean;
  globalPositions: string[];
}

/**
 * Transforms `data` of `type` from `fromSchemaVersion` to `fromSchemaVersion + 1`.
 * Upcasters chain on read until no upcaster matches.
 */
export interface Upcaster {
  type: string;
  fromSchemaVersion: number;
  upcast: (data: Record<string, unknown>) => Record<string, unknown>;
}

/** Options for {@link PostgresEventStore}. */
export interface EventStoreOptions {
  upcasters?: Upcaster[];
}
