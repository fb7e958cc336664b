import { type z } from 'zod';
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
export const applicationEventSchemas = {
  ApplicationSubmitted: { schemaVersion: 1, data: applicationSubmittedV1 },
  ApplicationApproved: { schemaVersion: 1, data: applicationApprovedV1 },
  ApplicationRejected: { schemaVersion: 1, data: applicationRejectedV1 },
  ApplicationWithdrawn: { schemaVersion: 1, data: applicationWithdrawnV1 },
} as const satisfies Record<string, { schemaVersion: 1; data: z.ZodTypeAny }>;

export type ApplicationIntegrationEventType = keyof typeof applicationEventSchemas;

/** The `data` type of a public application event. */
export type ApplicationIntegrationEventData<T extends ApplicationIntegrationEventType> = z.infer<
  (typeof applicationEventSchemas)[T]['data']
>;
