import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import {
  commandMetadata,
  handleCommand,
  loadStream,
  PostgresEventStore,
  versionConflictAsProblem,
} from '@lib/event-store';
import type { AssetRegistry } from '@lib/near';
import { PG_POOL, ProblemError, SERVICE_CONFIG, withTransaction } from '@lib/platform';
import type { DisbursementsConfig } from '../config';
import { policyFor } from '../treasury/treasury-policy';
import {
  decide,
  type Disbursement,
  type DisbursementCommand,
  type DisbursementEvent,
  type DisbursementState,
  evolve,
  initialState,
  requiredApprovals,
} from './disbursement.decider';
import { DisbursementError, type WaitingReason } from './disbursement.errors';
import { upsertListRow } from './disbursement-list.projection';
import { disbursementView } from './disbursement-view.dto';
import { countTransitions } from '../treasury/treasury-metrics';

export const DISBURSEMENT_EVENT_STORE = Symbol('DISBURSEMENT_EVENT_STORE');
export const ASSET_REGISTRY = Symbol('ASSET_REGISTRY');

export const disbursementStreamId = (disbursementId: string) => `disbursement-${disbursementId}`;

/** A Disbursement rule as problem+json; a blocked release keeps why it waits. */
export class DisbursementProblem extends ProblemError {
  constructor(readonly error: DisbursementError) {
    super(error.status, error.code, error.message);
    this.name = 'DisbursementProblem';
  }

  get reason(): WaitingReason | undefined {
    return this.error.reason;
  }
}

export interface LoadedDisbursement {
  state: Disbursement;
  version: number;
}

/**
 * The only write path of the Disbursement aggregate: load → decide → append, and the list row in
 * the same transaction (the caller's, e.g. a consumer's inbox transaction, or its own).
 */
@Injectable()
export class DisbursementHandler {
  constructor(
    @Inject(DISBURSEMENT_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
    @Inject(ASSET_REGISTRY) private readonly assets: AssetRegistry,
  ) {}

  async execute(
    disbursementId: string,
    command: DisbursementCommand,
    options: { expectedVersion?: number; client?: PoolClient; causationId?: string } = {},
  ): Promise<LoadedDisbursement & { newEvents: DisbursementEvent[] }> {
    const run = async (client: PoolClient) => {
      const result = await handleCommand<DisbursementCommand, DisbursementState, DisbursementEvent>(
        this.store,
        {
          streamId: disbursementStreamId(disbursementId),
          decide,
          evolve,
          initialState,
          command,
          expectedVersion: options.expectedVersion,
          retryOnConflict: options.expectedVersion === undefined,
          metadata: commandMetadata(command, { causationId: options.causationId }),
          client,
        },
      );
      if (result.state.status === 'empty') throw notFound();
      if (result.newEvents.length > 0) {
        await upsertListRow(
          client,
          result.state,
          result.nextVersion,
          this.view(result.state, result.nextVersion),
        );
      }
      return {
        state: result.state,
        version: result.nextVersion,
        newEvents: result.newEvents as unknown as DisbursementEvent[],
      };
    };
    let result: LoadedDisbursement & { newEvents: DisbursementEvent[] };
    try {
      result = options.client ? await run(options.client) : await withTransaction(this.pool, run);
    } catch (error) {
      throw toProblem(error);
    }
    // After the commit of its own transaction; in a caller's transaction (a consumer's inbox, a
    // release), once the events are written there (a rolled-back one may then count again).
    countTransitions(result.state.asset, result.newEvents);
    return result;
  }

  /** Current state folded from the stream (authoritative). */
  async load(disbursementId: string): Promise<LoadedDisbursement> {
    const { state, version } = await loadStream(this.store, disbursementStreamId(disbursementId), {
      evolve,
      initialState,
    });
    if (state.status === 'empty') throw toProblem(notFound());
    return { state, version };
  }

  view(state: Disbursement, version: number) {
    return disbursementView(
      state,
      version,
      (asset) => this.assets.find(asset)?.decimals ?? 0,
      requiredApprovals(state.amount, policyFor(this.config.policy, state.asset)),
    );
  }
}

const notFound = () => new DisbursementError('disbursement_not_found', 'no such disbursement');

function toProblem(error: unknown): unknown {
  if (error instanceof DisbursementError) return new DisbursementProblem(error);
  return versionConflictAsProblem(error, 'disbursement');
}
