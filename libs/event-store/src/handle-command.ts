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
  newEventId: () => string;
  /** Load and append inside the caller's transaction (e.g. together with an inbox row). */
  client?: PoolClient;
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
      return { nextVersion: version, state, newEvents: [], globalPositions: [] };
    }
    const drafts = events.map((event, index) => ({
      ...event,
      eventId: options.newEventId(),
      streamVersion: version + index + 1,
    }));
    try {
      const result = await store.append(
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
      for (const event of events) state = options.evolve(state, event);
      return {
        nextVersion: result.nextVersion,
        state,
        newEvents: drafts,
        globalPositions: result.globalPositions,
      };
    } catch (error) {
      if (!(error instanceof StreamVersionConflictError) || attempt >= attempts) throw error;
    }
  }
}

function asDecided<Event extends DecidedEvent>(event: StoredEvent): Event {
  // The store does not know the domain's event union; upcasters bring data to the latest schema.
  return { type: event.type, data: event.data, schemaVersion: event.schemaVersion } as Event;
}
