import { randomUUID } from 'node:crypto';
import { ProblemError } from '@lib/contracts';
import { currentCorrelationId } from '@lib/platform';
import type { PoolClient } from 'pg';
import { StreamVersionConflictError } from './errors';
import type { PostgresEventStore } from './postgres-event-store';
import type { EventMetadata, StoredEvent } from './types';

/** What a decider returns: plain domain events, without ids or metadata. */
export interface DecidedEvent {
  type: string;
  data: Record<string, unknown>;
  schemaVersion?: number;
}

/** Input of {@link handleCommand}. */
export interface HandleCommandOptions<Command, State, Event extends DecidedEvent> {
  streamId: string;
  decide: (command: Command, state: State) => Event | Event[];
  /** Receives stored events (upcast to the latest schema) typed as the decider's events. */
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
  command: Command;
  /** Re-load and re-decide on a version conflict (bounded by `maxAttempts`). Default false. */
  retryOnConflict?: boolean;
  /**
   * The version the caller last saw (HTTP If-Match). When the stream is elsewhere the command is
   * not decided and a {@link StreamVersionConflictError} is thrown; never retried.
   */
  expectedVersion?: number;
  /** Attempts in total when retrying; default 3. */
  maxAttempts?: number;
  metadata: EventMetadata;
  /** Ids of the new events; default `randomUUID`. */
  newEventId?: () => string;
  /** Load and append inside the caller's transaction (e.g. together with an inbox row). */
  client?: PoolClient;
  /**
   * Recent states of streams this process wrote ({@link StreamStateCache}); not used with
   * `client`. A cached state saves the read only when the command then appends at exactly its
   * version: if `decide` throws or decides nothing, or the append conflicts (another writer got
   * there first), the command runs again from a fresh read — so every outcome is the one the
   * stream itself gives.
   */
  cache?: StreamStateCache<State>;
  /**
   * The stream is expected not to exist yet (e.g. its id was just generated): decide on the
   * initial state without reading, as if cached at version 0, with the same fall-back.
   */
  expectNew?: boolean;
}

/**
 * States of recently written streams by stream id, bounded (least recently set go first).
 * Entries are immutable folds of committed events, so they may be stale but never wrong.
 */
export class StreamStateCache<State> {
  private readonly entries = new Map<string, { state: State | (() => State); version: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(streamId: string): { state: State; version: number } | undefined {
    const entry = this.entries.get(streamId);
    if (!entry) return undefined;
    if (typeof entry.state === 'function') entry.state = (entry.state as () => State)();
    return entry as { state: State; version: number };
  }

  /** `state` may be a function: it is then folded on first use only. */
  set(streamId: string, state: State | (() => State), version: number): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, { state, version });
    if (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(streamId: string): void {
    this.entries.delete(streamId);
  }
}

/** Outcome of {@link handleCommand}. */
export interface HandleCommandResult<State> {
  /** Stream version after the command (unchanged if it decided nothing). */
  nextVersion: number;
  /** State after applying the new events. */
  state: State;
  /** Events the decider produced, as appended (empty if none). */
  newEvents: StoredEventDraft[];
  globalPositions: string[];
}

/** A new event as appended by {@link handleCommand}. */
export interface StoredEventDraft extends DecidedEvent {
  eventId: string;
  streamVersion: number;
}

/**
 * load stream → fold `evolve` → `decide` → append at the loaded version. On
 * {@link StreamVersionConflictError} retries from the load if `retryOnConflict`, else rethrows.
 * Domain errors thrown by `decide` propagate unchanged.
 */
export async function handleCommand<Command, State, Event extends DecidedEvent>(
  store: PostgresEventStore,
  options: HandleCommandOptions<Command, State, Event>,
): Promise<HandleCommandResult<State>> {
  const cache = options.client ? undefined : options.cache;
  let known =
    options.expectNew && !options.client
      ? { state: options.initialState(), version: 0 }
      : cache?.get(options.streamId);
  if (known && options.expectedVersion !== undefined && options.expectedVersion !== known.version) {
    known = undefined; // maybe stale: let the stream decide
  }
  if (known) {
    const result = await appendAtKnownVersion(store, options, known.state, known.version);
    if (result) {
      cache?.set(options.streamId, result.cached, result.nextVersion);
      return result.result;
    }
    cache?.delete(options.streamId);
  }
  const result = await loadDecideAppend(store, options);
  cache?.set(options.streamId, result.cached, result.result.nextVersion);
  return result.result;
}

/** decide on `state` (at `version`) and append there; undefined when that did not work out. */
async function appendAtKnownVersion<Command, State, Event extends DecidedEvent>(
  store: PostgresEventStore,
  options: HandleCommandOptions<Command, State, Event>,
  state: State,
  version: number,
): Promise<
  { result: HandleCommandResult<State>; cached: () => State; nextVersion: number } | undefined
> {
  let events: Event[];
  try {
    const decided = options.decide(options.command, state);
    events = Array.isArray(decided) ? decided : [decided];
  } catch {
    return undefined; // the state may be stale: the fresh read gives the real answer
  }
  if (events.length === 0) return undefined;
  try {
    const result = await appendDecided(store, options, state, version, events);
    return { result: result.result, cached: result.cached, nextVersion: result.result.nextVersion };
  } catch (error) {
    if (error instanceof StreamVersionConflictError) return undefined;
    throw error;
  }
}

async function appendDecided<Command, State, Event extends DecidedEvent>(
  store: PostgresEventStore,
  options: HandleCommandOptions<Command, State, Event>,
  state: State,
  version: number,
  events: Event[],
): Promise<{ result: HandleCommandResult<State>; cached: () => State }> {
  const drafts = events.map((event, index) => ({
    ...event,
    eventId: (options.newEventId ?? randomUUID)(),
    streamVersion: version + index + 1,
  }));
  const appended = await store.append(
    options.streamId,
    version,
    drafts.map((draft) => ({
      eventId: draft.eventId,
      type: draft.type,
      schemaVersion: draft.schemaVersion,
      data: draft.data,
      metadata: options.metadata,
    })),
    { client: options.client },
  );
  let next = state;
  for (const event of events) next = options.evolve(next, event);
  // What a later read of the stream folds: the data as stored (JSON), not as decided; folded
  // only if a later command uses it.
  const cached = () => {
    let folded = state;
    for (const event of events) {
      const data = JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>;
      folded = options.evolve(folded, { ...event, data });
    }
    return folded;
  };
  return {
    result: {
      nextVersion: appended.nextVersion,
      state: next,
      newEvents: drafts,
      globalPositions: appended.globalPositions,
    },
    cached,
  };
}

async function loadDecideAppend<Command, State, Event extends DecidedEvent>(
  store: PostgresEventStore,
  options: HandleCommandOptions<Command, State, Event>,
): Promise<{ result: HandleCommandResult<State>; cached: () => State }> {
  const retry = options.retryOnConflict && options.expectedVersion === undefined;
  const attempts = retry ? Math.max(1, options.maxAttempts ?? 3) : 1;
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(options.streamId, { client: options.client });
    let state = options.initialState();
    for (const event of history) state = options.evolve(state, asDecided<Event>(event));
    const version = history.length === 0 ? 0 : history[history.length - 1].streamVersion;
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw new StreamVersionConflictError(options.streamId, options.expectedVersion, version);
    }

    const decided = options.decide(options.command, state);
    const events = Array.isArray(decided) ? decided : [decided];
    if (events.length === 0) {
      return {
        result: { nextVersion: version, state, newEvents: [], globalPositions: [] },
        cached: () => state,
      };
    }
    try {
      return await appendDecided(store, options, state, version, events);
    } catch (error) {
      if (!(error instanceof StreamVersionConflictError) || attempt >= attempts) throw error;
    }
  }
}

function asDecided<Event extends DecidedEvent>(event: StoredEvent): Event {
  // The store does not know the domain's event union; upcasters bring data to the latest schema.
  return { type: event.type, data: event.data, schemaVersion: event.schemaVersion } as Event;
}

/** What a command says about who issues it when (`Command` of @lib/contracts). */
export interface IssuedCommand {
  metadata: { actor: { sub: string }; now: Date };
}

/**
 * The metadata of the events a command appends: its actor and time, the correlation id given
 * (a consumed event's), else the request's, else a new one, and the causation id given (the event
 * it answers), else none.
 */
export function commandMetadata(
  command: IssuedCommand,
  trace: { correlationId?: string; causationId?: string | null } = {},
): EventMetadata {
  return {
    correlationId: trace.correlationId ?? currentCorrelationId() ?? randomUUID(),
    causationId: trace.causationId ?? null,
    actor: command.metadata.actor.sub,
    occurredAt: command.metadata.now,
  };
}

/** A stream folded from its first event: the state and the version (0 for no events). */
export async function loadStream<State, Event>(
  store: PostgresEventStore,
  streamId: string,
  fold: { evolve: (state: State, event: Event) => State; initialState: () => State },
  options: { client?: PoolClient } = {},
): Promise<{ state: State; version: number }> {
  const events = await store.readStream(streamId, options);
  let state = fold.initialState();
  // The store does not know the domain's event union; upcasters bring data to the latest schema.
  for (const event of events) state = fold.evolve(state, event as unknown as Event);
  return { state, version: events.length === 0 ? 0 : events[events.length - 1].streamVersion };
}

/**
 * A {@link StreamVersionConflictError} as the problem an HTTP caller gets: 409
 * `version_conflict`, naming the aggregate and both versions. Any other error is returned as is.
 */
export function versionConflictAsProblem(error: unknown, aggregate: string): unknown {
  if (!(error instanceof StreamVersionConflictError)) return error;
  return new ProblemError(
    409,
    'version_conflict',
    `${aggregate} changed concurrently (expected version ${String(error.expected)}, now ${String(error.actual)}); reload and retry`,
  );
}
