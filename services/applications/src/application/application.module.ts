import { Module } from '@nestjs/common';
import { TOPICS } from '@lib/contracts';
import { EventStoreModule, readStreamsOf } from '@lib/event-store';
import { ApplicationController } from './application.controller';
import { APPLICATION_EVENT_STORE, ApplicationHandler } from './application.handler';
import { applicationOutbound } from './application.outbound';
import { ApplicationQueue, applicationQueueProjection } from './application-queue.projection';

/**
 * The Application aggregate: HTTP commands and queries, the queue projection and the relay that
 * publishes public events to `applications.application.v1` from the event log.
 */
@Module({
  imports: [
    EventStoreModule.forService({
      token: APPLICATION_EVENT_STORE,
      relays: [{ topic: TOPICS.application, toMessage: applicationOutbound }],
      projections: [(store) => applicationQueueProjection(readStreamsOf(store))],
    }),
  ],
  controllers: [ApplicationController],
  providers: [ApplicationHandler, ApplicationQueue],
})
export class ApplicationModule {}
