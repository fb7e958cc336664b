import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  commandMetadata,
  handleCommand,
  loadStream,
  PostgresEventStore,
  StreamStateCache,
  versionConflictAsProblem,
} from '@lib/event-store';
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
        metadata: commandMetadata(command, options),
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
      throw versionConflictAsProblem(error, 'grant');
    }
  }

  /** Current state folded from the stream (authoritative, not a projection). */
  async load(grantId: string): Promise<LoadedGrant> {
    const { state, version } = await loadStream(this.store, grantStreamId(grantId), {
      evolve,
      initialState,
    });
    if (state.status === 'empty') throw notFound();
    return { state, version };
  }
}

const notFound = () => new GrantError('grant_not_found', 'no such grant');
