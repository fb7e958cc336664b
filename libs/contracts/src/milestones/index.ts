import { z } from 'zod';
import { type TopicEventData, topicEventsV1 } from '../registry';
import {
  assetCodeSchema,
  baseUnitsSchema,
  founderSchema,
  textSchema,
  timestampSchema,
} from '../applications/values';
import { actorIdSchema, grantIdSchema } from '../grants';

const trancheNumberSchema = z.number().int().min(1).max(20);

/** `MilestoneSubmitted` v1: the founder reported milestone `tranche` (again, after a rejection). */
export const milestoneSubmittedV1 = z.object({
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  /** 1 for the first submission, +1 per resubmission. */
  submission: z.number().int().positive(),
  summary: textSchema(5000),
  evidenceUrls: z.array(z.string().url().max(2000)).min(1).max(10),
  submittedBy: founderSchema,
  submittedAt: timestampSchema,
});

/**
 * `MilestoneAccepted` v1: a reviewer or admin accepted the milestone; the only event that can
 * create a disbursement (once per grant and tranche). `acceptedBy` may not approve its payout.
 */
export const milestoneAcceptedV1 = z.object({
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  amount: baseUnitsSchema,
  asset: assetCodeSchema,
  founder: founderSchema,
  acceptedBy: actorIdSchema,
  acceptedAt: timestampSchema,
});

/** `MilestoneRejected` v1: rejected with a comment; the founder may resubmit. */
export const milestoneRejectedV1 = z.object({
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  comment: textSchema(5000),
  rejectedBy: actorIdSchema,
  rejectedAt: timestampSchema,
});

/** The public events on `milestones.milestone.v1` (TOPICS.milestone), keyed by grant id. */
export const milestoneEventSchemas = topicEventsV1({
  MilestoneSubmitted: milestoneSubmittedV1,
  MilestoneAccepted: milestoneAcceptedV1,
  MilestoneRejected: milestoneRejectedV1,
});

export type MilestoneIntegrationEventType = keyof typeof milestoneEventSchemas;
export type MilestoneIntegrationEventData<T extends MilestoneIntegrationEventType> = TopicEventData<
  typeof milestoneEventSchemas,
  T
>;
