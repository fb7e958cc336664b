import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  handleCommand,
  PostgresEventStore,
  StreamStateCache,
  StreamVersionConflictError,
} from '@lib/event-store';
import { currentCorrelationId, ProblemError } from '@lib/platform';
import { type Grant, type GrantEvent, type GrantState, evolve, initialState } from './grant';
import { decide, type GrantCommand } from './grant.decider';
import { GrantError } from './grant.errors';

export const GRANT_EVENT_STORE = Symbol('GRANT_EVENT_STORE');

export const grantStreamId = (grantId: string) => `grant-${grantId}`;

export interface LoadedGrant {
  state: Grant;
  version: number;
}

/** The only write path of the Grant aggregate: load → decide → append. */
@Injectable()
export class GrantHandler {
  /** States this replica wrote lately: a command on one of them skips the stream read. */
  private readonly states = new StreamStateCache<GrantState>();

  constructor(@Inject(GRANT_EVENT_STORE) private readonly store: PostgresEventStore) {}

  /**
   * Runs `command` against grant `grantId`. With `expectedVersion` (If-Match) the stream must be
   * exactly there; either way a concurrent change is a 409, never a lost write. With `client` it
   * runs inside the caller's transaction (a consumer's inbox row commits with the events).
   */
  async execute(
    grantId: string,
    command: GrantCommand,
    options: {
      expectedVersion?: number;
      client?: PoolClient;
      causationId?: string;
      correlationId?: string;
    } = {},
  ): Promise<LoadedGrant & { appended: number }> {
    try {
      const result = await handleCommand<GrantCommand, GrantState, GrantEvent>(this.store, {
        streamId: grantStreamId(grantId),
        decide,
        evolve,
        initialState,
        command,
        expectedVersion: options.expectedVersion,
        metadata: {
          correlationId: options.correlationId ?? currentCorrelationId() ?? randomUUID(),
          causationId: options.causationId ?? null,
          actor: command.metadata.actor.sub,
          occurredAt: command.metadata.now,
        },
        newEventId: randomUUID,
        client: options.client,
        cache: options.client ? undefined : this.states,
      });
      if (result.state.status === 'empty') throw notFound();
      return {
        state: result.state,
        version: result.nextVersion,
        appended: result.newEvents.length,
      };
    } catch (error) {
      if (error instanceof StreamVersionConflictError) {
        throw new ProblemError(
          HttpStatus.CONFLICT,
          'version_conflict',
          `grant changed concurrently (expected version ${String(error.expected)}, now ${String(error.actual)}); reload and retry`,
        );
      }
      throw error;
    }
  }

  /** Current state folded from the stream (authoritative, not a projection). */
  async load(grantId: string): Promise<LoadedGrant> {
    const events = await this.store.readStream(grantStreamId(grantId));
    let state = initialState();
    for (const event of events) state = evolve(state, event as unknown as GrantEvent);
    if (state.status === 'empty') throw notFound();
    return { state, version: events[events.length - 1].streamVersion };
  }
}

const notFound = () => new GrantError('grant_not_found', 'no such grant');
