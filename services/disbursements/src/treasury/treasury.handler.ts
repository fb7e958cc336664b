import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { commandMetadata, handleCommand, loadStream, PostgresEventStore } from '@lib/event-store';
import { PG_POOL, ProblemError, withTransaction } from '@lib/platform';
import { DISBURSEMENT_EVENT_STORE } from '../disbursement/disbursement.handler';
import {
  decideTreasury,
  evolveTreasury,
  initialTreasuryState,
  type TreasuryCommand,
  type TreasuryEvent,
  type TreasuryState,
} from './treasury.decider';
import { TreasuryError } from './treasury.errors';

export const TREASURY_STREAM = 'treasury-state';
const STATE_LOCK = 'disbursements:treasury-state';

/**
 * Releases read the treasury state under a shared lock and pause/discrepancy writes take it
 * exclusively: once a pause has committed, no release that has not committed yet can still go.
 */
export async function lockTreasuryShared(client: PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared(hashtext($1))', [STATE_LOCK]);
}

/** Load → decide → append for the treasury switch (pause, resume, discrepancies). */
@Injectable()
export class TreasuryHandler {
  constructor(
    @Inject(DISBURSEMENT_EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async execute(
    command: TreasuryCommand,
    options: { client?: PoolClient; causationId?: string } = {},
  ): Promise<{ state: TreasuryState; newEvents: TreasuryEvent[] }> {
    const run = async (client: PoolClient) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [STATE_LOCK]);
      const result = await handleCommand<TreasuryCommand, TreasuryState, TreasuryEvent>(
        this.store,
        {
          streamId: TREASURY_STREAM,
          decide: decideTreasury,
          evolve: evolveTreasury,
          initialState: initialTreasuryState,
          command,
          retryOnConflict: true,
          metadata: commandMetadata(command, { causationId: options.causationId }),
          client,
        },
      );
      return { state: result.state, newEvents: result.newEvents as unknown as TreasuryEvent[] };
    };
    try {
      return options.client ? await run(options.client) : await withTransaction(this.pool, run);
    } catch (error) {
      if (error instanceof TreasuryError) {
        throw new ProblemError(error.status, error.code, error.message);
      }
      throw error;
    }
  }

  async load(client?: PoolClient): Promise<TreasuryState> {
    const { state } = await loadStream(
      this.store,
      TREASURY_STREAM,
      { evolve: evolveTreasury, initialState: initialTreasuryState },
      { client },
    );
    return state;
  }
}
