import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { Logger } from 'nestjs-pino';
import { PgSignInChallengeStore } from '@lib/auth';
import { TOPICS } from '@lib/contracts';
import { EventStoreModule, type PostgresEventStore, readStreamsOf } from '@lib/event-store';
import { createNearProvider, resolveNearNetwork } from '@lib/near';
import { PG_POOL, SERVICE_CONFIG } from '@lib/platform';
import { CLOCK, type Clock, systemClock } from '../clock';
import type { GrantsConfig } from '../config';
import { GrantConsumer } from './grant.consumer';
import { GrantController } from './grant.controller';
import { GRANT_EVENT_STORE, GrantHandler } from './grant.handler';
import { grantOutbound } from './grant.outbound';
import { GrantOverview, grantOverviewProjection } from './grant-overview.projection';
import { ASSET_REGISTRY, GrantProofs, NEAR_PROVIDER, PROOF_CHALLENGE_STORE } from './grant.proof';

const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * The Grant aggregate: HTTP commands and queries, the Kafka consumers, the overview projection
 * and the relay that publishes public events to `grants.grant.v1` from the event log.
 */
@Module({})
export class GrantModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private purgeTimer?: NodeJS.Timeout;

  /** `clock` is the system clock unless a test brings its own. */
  static register(options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: GrantModule,
      imports: [
        EventStoreModule.forService({
          token: GRANT_EVENT_STORE,
          relays: [{ topic: TOPICS.grant, toMessage: grantOutbound }],
          projections: [(store) => grantOverviewProjection(readStreamsOf(store), store.schema)],
        }),
      ],
      controllers: [GrantController, GrantConsumer],
      providers: [
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        {
          provide: PROOF_CHALLENGE_STORE,
          inject: [PG_POOL, GRANT_EVENT_STORE],
          useFactory: (pool: Pool, store: PostgresEventStore) =>
            new PgSignInChallengeStore(pool, store.schema),
        },
        {
          provide: NEAR_PROVIDER,
          inject: [SERVICE_CONFIG],
          useFactory: (config: GrantsConfig) =>
            createNearProvider({ url: resolveNearNetwork(config).rpcUrl }),
        },
        {
          provide: ASSET_REGISTRY,
          inject: [SERVICE_CONFIG],
          useFactory: (config: GrantsConfig) => resolveNearNetwork(config).assets,
        },
        GrantHandler,
        GrantOverview,
        GrantProofs,
      ],
    };
  }

  constructor(
    private readonly proofs: GrantProofs,
    private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    // Expired proof challenges are useless (consume refuses them); keep the table small.
    this.purgeTimer = setInterval(() => {
      this.proofs
        .purgeExpired(new Date(Date.now() - 3600_000))
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'purging expired proof challenges failed'),
        );
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.purgeTimer);
  }
}
