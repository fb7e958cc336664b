import { type TopicEventData, topicEventsV1 } from '../registry';
import { applicationApprovedV1 } from './application-approved';
import { applicationRejectedV1 } from './application-rejected';
import { applicationSubmittedV1 } from './application-submitted';
import { applicationWithdrawnV1 } from './application-withdrawn';

export * from './application-approved';
export * from './application-rejected';
export * from './application-submitted';
export * from './application-withdrawn';
export { applicationCategorySchema } from './values';

/**
 * The public events on `applications.application.v1` (TOPICS.application), keyed by envelope
 * `type`, with the schema of their `data`. Readers are tolerant: unknown keys are stripped, so
 * adding an optional field is not a breaking change; anything else is a new schemaVersion.
 */
export const applicationEventSchemas = topicEventsV1({
  ApplicationSubmitted: applicationSubmittedV1,
  ApplicationApproved: applicationApprovedV1,
  ApplicationRejected: applicationRejectedV1,
  ApplicationWithdrawn: applicationWithdrawnV1,
});

export type ApplicationIntegrationEventType = keyof typeof applicationEventSchemas;

/** The `data` type of a public application event. */
export type ApplicationIntegrationEventData<T extends ApplicationIntegrationEventType> =
  TopicEventData<typeof applicationEventSchemas, T>;
