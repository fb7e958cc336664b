import type { PoolClient } from 'pg';
import { SubscriptionRunner, type SubscriptionOptions } from './subscription-runner';
import type { StoredEvent } from './types';

/** A read model fed from the store: rows written with the given client commit with its checkpoint. */
export interface Projection {
  /** Subscription name (checkpoint + lock), e.g. `grants.grant-summary`. */
  name: string;
  /** Write read-model rows for `events` using `client` only (it is inside the batch transaction). */
  project: (events: StoredEvent[], client: PoolClient) => Promise<void>;
  /** Empty the read model before a rebuild (same transaction as the checkpoint reset). */
  reset?: (client: PoolClient) => Promise<void>;
}

/**
 * A {@link SubscriptionRunner} for a {@link Projection}: `rebuild()` empties the read model and
 * replays from zero; a failing batch leaves neither rows nor checkpoint behind.
 */
export class ProjectionRunner extends SubscriptionRunner {
  constructor(
    projection: Projection,
    options: Omit<SubscriptionOptions, 'name' | 'handle' | 'onReset'>,
  ) {
    super({
      ...options,
      name: projection.name,
      handle: projection.project,
      onReset: projection.reset,
    });
  }
}
