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
import { ProblemError } from '@lib/platform';
import {
  decide,
  evolve,
  initialState,
  type Milestone,
  type MilestoneCommand,
  type MilestoneEvent,
  type MilestoneState,
} from './milestone.decider';
import { MilestoneError } from './milestone.errors';

export const MILESTONE_EVENT_STORE = Symbol('MILESTONE_EVENT_STORE');

/** One stream per grant tranche. */
export const milestoneStreamId = (grantId: string, number: number) =>
  `milestone-${grantId}-${number}`;

const STREAM_ID = /^milestone-([0-9a-f-]{36})-(\d{1,2})$/i;

/** Grant id and tranche number of a milestone stream id, or undefined for another stream. */
export function parseMilestoneStreamId(
  streamId: string,
): { grantId: string; number: number } | undefined {
  const match = STREAM_ID.exec(streamId);
  return match ? { grantId: match[1], number: Number(match[2]) } : undefined;
}

export interface LoadedMilestone {
  state: Milestone;
  version: number;
}

/** Where a command came from when it is not an HTTP request (a consumed integration event). */
export interface CommandOrigin {
  client: PoolClient;
  correlationId: string;
  causationId: string;
}

/** The only write path of the Milestone aggregate: load → decide → append. */
@Injectable()
export class MilestoneHandler {
  /** States this replica wrote lately: a command on one of them skips the stream read. */
  private readonly states = new StreamStateCache<MilestoneState>();

  constructor(@Inject(MILESTONE_EVENT_STORE) private readonly store: PostgresEventStore) {}

  /**
   * Runs an HTTP command on milestone `number` of grant `grantId`. With `expectedVersion`
   * (If-Match) the stream must be exactly there; a concurrent change is a 409, never a lost write.
   */
  async execute(
    grantId: string,
    number: number,
    command: MilestoneCommand,
    options: { expectedVersion?: number } = {},
  ): Promise<LoadedMilestone> {
    try {
      const result = await handleCommand<MilestoneCommand, MilestoneState, MilestoneEvent>(
        this.store,
        {
          streamId: milestoneStreamId(grantId, number),
          decide,
          evolve,
          initialState,
          command,
          expectedVersion: options.expectedVersion,
          metadata: commandMetadata(command),
          cache: this.states,
        },
      );
      if (result.state.status === 'not_opened') throw notFound();
      return { state: result.state, version: result.nextVersion };
    } catch (error) {
      throw asProblem(error);
    }
  }

  /**
   * Runs a command decided from a grant event inside the consumer's inbox transaction, re-deciding
   * on a concurrent HTTP change (the grant event must land whatever the founder just did).
   */
  async executeInTransaction(
    grantId: string,
    number: number,
    command: MilestoneCommand,
    origin: CommandOrigin,
  ): Promise<void> {
    const streamId = milestoneStreamId(grantId, number);
    await handleCommand<MilestoneCommand, MilestoneState, MilestoneEvent>(this.store, {
      streamId,
      decide,
      evolve,
      initialState,
      command,
      retryOnConflict: true,
      metadata: commandMetadata(command, origin),
      client: origin.client,
    });
    this.states.delete(streamId); // written outside the cache
  }

  /** Current state folded from the stream (authoritative, not the projection). */
  async load(grantId: string, number: number): Promise<LoadedMilestone> {
    const { state, version } = await loadStream(this.store, milestoneStreamId(grantId, number), {
      evolve,
      initialState,
    });
    if (state.status === 'not_opened') throw asProblem(notFound());
    return { state, version };
  }
}

const notFound = () => new MilestoneError('milestone_not_found', 'no such milestone');

/** Domain and concurrency errors → problem+json; anything else passes unchanged (a 500). */
function asProblem(error: unknown): unknown {
  if (error instanceof MilestoneError) {
    return new ProblemError(error.status, error.code, error.message, error.errors);
  }
  return versionConflictAsProblem(error, 'milestone');
}
