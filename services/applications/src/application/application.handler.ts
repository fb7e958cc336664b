import { Inject, Injectable } from '@nestjs/common';
import {
  commandMetadata,
  handleCommand,
  loadStream,
  PostgresEventStore,
  StreamStateCache,
  versionConflictAsProblem,
} from '@lib/event-store';
import { SERVICE_CONFIG } from '@lib/platform';
import type { ApplicationsConfig } from '../config';
import {
  type Application,
  type ApplicationEvent,
  evolve,
  initialState,
  type ApplicationState,
} from './application';
import { type ApplicationCommand, type ApplicationPolicy, decide } from './application.decider';
import { ApplicationError } from './application.errors';

export const APPLICATION_EVENT_STORE = Symbol('APPLICATION_EVENT_STORE');

export const applicationStreamId = (applicationId: string) => `application-${applicationId}`;

export interface LoadedApplication {
  state: Application;
  version: number;
}

/** The only write path of the Application aggregate: load → decide → append. */
@Injectable()
export class ApplicationHandler {
  /** States this replica wrote lately: a command on one of them skips the stream read. */
  private readonly states = new StreamStateCache<ApplicationState>();
  private readonly policy: ApplicationPolicy;

  constructor(
    @Inject(APPLICATION_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(SERVICE_CONFIG) config: ApplicationsConfig,
  ) {
    this.policy = { reviewQuorum: config.REVIEW_QUORUM };
  }

  /**
   * Runs `command` against application `applicationId`. With `expectedVersion` (If-Match) the
   * stream must be exactly there; either way a concurrent change makes this a 409, never a lost write.
   */
  async execute(
    applicationId: string,
    command: ApplicationCommand,
    options: { expectedVersion?: number } = {},
  ): Promise<LoadedApplication> {
    try {
      const result = await handleCommand<ApplicationCommand, ApplicationState, ApplicationEvent>(
        this.store,
        {
          streamId: applicationStreamId(applicationId),
          decide: (c, state) => decide(c, state, this.policy),
          evolve,
          initialState,
          command,
          expectedVersion: options.expectedVersion,
          metadata: commandMetadata(command),
          cache: this.states,
          // A draft's id was just generated: no stream to read (a clash still ends as before).
          expectNew: command.type === 'CreateDraft',
        },
      );
      if (result.state.status === 'empty') throw notFound();
      return { state: result.state, version: result.nextVersion };
    } catch (error) {
      throw versionConflictAsProblem(error, 'application');
    }
  }

  /** Current state folded from the stream (authoritative, not a projection). */
  async load(applicationId: string): Promise<LoadedApplication> {
    const { state, version } = await loadStream(this.store, applicationStreamId(applicationId), {
      evolve,
      initialState,
    });
    if (state.status === 'empty') throw notFound();
    return { state, version };
  }
}

const notFound = () => new ApplicationError('application_not_found', 'no such application');
