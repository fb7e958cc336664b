import { z } from 'zod';
import { type TopicEventData, topicEventsV1 } from '../registry';
import {
  assetCodeSchema,
  baseUnitsSchema,
  nearAccountIdSchema,
  textSchema,
  timestampSchema,
} from '../applications/values';
import { actorIdSchema, grantIdSchema } from '../grants';

/** `<grantId>-<tranche>`: derived, so a redelivered MilestoneAccepted can never make a second one. */
export const disbursementIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d{1,2}$/);

export const disbursementId = (grantId: string, tranche: number): string => `${grantId}-${tranche}`;

const trancheNumberSchema = z.number().int().min(1).max(20);
/** 1 for the first release, +1 per retry after a failure. */
const attemptSchema = z.number().int().min(1).max(1000);

/** `DisbursementRequested` v1: created from `MilestoneAccepted`; awaits approvals. */
export const disbursementRequestedV1 = z.object({
  disbursementId: disbursementIdSchema,
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  asset: assetCodeSchema,
  amount: baseUnitsSchema,
  receiver: nearAccountIdSchema,
  acceptedBy: actorIdSchema,
  requestedAt: timestampSchema,
});

/** `DisbursementApproved` v1: one treasurer's approval, bound to (amount, asset, receiver). */
export const disbursementApprovedV1 = z.object({
  disbursementId: disbursementIdSchema,
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  approvedBy: actorIdSchema,
  /** Approvals now in force, and how many the policy requires. */
  approvals: z.number().int().min(1),
  required: z.number().int().min(1),
  approvedAt: timestampSchema,
});

/** `DisbursementReleased` v1: the treasury run reserved the amount; settlement pays it on NEAR. */
export const disbursementReleasedV1 = z.object({
  disbursementId: disbursementIdSchema,
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  attempt: attemptSchema,
  receiver: nearAccountIdSchema,
  asset: assetCodeSchema,
  amount: baseUnitsSchema,
  releasedAt: timestampSchema,
});

/** `DisbursementSettled` v1: the payout of `attempt` is final on chain. */
export const disbursementSettledV1 = z.object({
  disbursementId: disbursementIdSchema,
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  attempt: attemptSchema,
  txHash: z.string().min(1).max(100),
  settledAt: timestampSchema,
});

/** `DisbursementFailed` v1: the payout of `attempt` failed on chain; a treasurer may retry or cancel. */
export const disbursementFailedV1 = z.object({
  disbursementId: disbursementIdSchema,
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  attempt: attemptSchema,
  reason: textSchema(2000),
  failedAt: timestampSchema,
});

/** `DisbursementCancelled` v1: never released (or failed and given up); nothing will be paid. */
export const disbursementCancelledV1 = z.object({
  disbursementId: disbursementIdSchema,
  grantId: grantIdSchema,
  tranche: trancheNumberSchema,
  reason: textSchema(2000),
  cancelledBy: actorIdSchema,
  cancelledAt: timestampSchema,
});

/** The public events on `disbursements.disbursement.v1` (TOPICS.disbursement), keyed by disbursement id. */
export const disbursementEventSchemas = topicEventsV1({
  DisbursementRequested: disbursementRequestedV1,
  DisbursementApproved: disbursementApprovedV1,
  DisbursementReleased: disbursementReleasedV1,
  DisbursementSettled: disbursementSettledV1,
  DisbursementFailed: disbursementFailedV1,
  DisbursementCancelled: disbursementCancelledV1,
});

export type DisbursementIntegrationEventType = keyof typeof disbursementEventSchemas;
export type DisbursementIntegrationEventData<T extends DisbursementIntegrationEventType> =
  TopicEventData<typeof disbursementEventSchemas, T>;
