import type { ServiceOps } from '@lib/ops';
import { applicationQueueProjection } from './application/application-queue.projection';

/**
 * What the operator CLI (`npm run ops`) may do with this service: rebuild the review queue
 * projection from the `applications` event store.
 */
export const ops: ServiceOps = {
  service: 'applications',
  schema: 'applications',
  projections: [
    {
      name: 'applications.application-queue',
      create: (store) =>
        applicationQueueProjection((ranges, client) => store.readStreams(ranges, { client })),
    },
  ],
};
