import { Module } from '@nestjs/common';
import { TOPICS } from '@lib/contracts';
import { EventStoreModule, readStreamsOf } from '@lib/event-store';
import { resolveNearNetwork } from '@lib/near';
import { SERVICE_CONFIG } from '@lib/platform';
import type { MilestonesConfig } from '../config';
import { MilestoneConsumer } from './milestone.consumer';
import { MILESTONE_ASSETS, MilestoneController } from './milestone.controller';
import { MILESTONE_EVENT_STORE, MilestoneHandler } from './milestone.handler';
import { MilestoneList, milestoneListProjection } from './milestone-list.projection';
import { milestoneOutbound } from './milestone.outbound';
import { MILESTONE_CLOCK, systemClock } from './milestone-view.dto';

/**
 * The Milestone aggregate: HTTP commands and the list query, the `grants.grant.v1` consumer, the
 * list projection and the relay that publishes to `milestones.milestone.v1` from the event log.
 */
@Module({
  imports: [
    EventStoreModule.forService({
      token: MILESTONE_EVENT_STORE,
      relays: [{ topic: TOPICS.milestone, toMessage: milestoneOutbound }],
      projections: [(store) => milestoneListProjection(readStreamsOf(store))],
    }),
  ],
  controllers: [MilestoneController, MilestoneConsumer],
  providers: [
    {
      provide: MILESTONE_ASSETS,
      inject: [SERVICE_CONFIG],
      useFactory: (config: MilestonesConfig) => resolveNearNetwork(config).assets,
    },
    { provide: MILESTONE_CLOCK, useValue: systemClock },
    MilestoneHandler,
    MilestoneList,
  ],
})
export class MilestoneModule {}
