import { z } from 'zod';
import { type TopicEventData, topicEventsV1 } from '../registry';
import {
  applicationIdSchema,
  assetCodeSchema,
  baseUnitsSchema,
  calendarDateSchema,
  founderSchema,
  nearAccountIdSchema,
  textSchema,
  timestampSchema,
} from '../applications/values';

/** A staff or founder identity as it appears in events (the JWT `sub`). */
export const actorIdSchema = z.string().min(1).max(200);

/** The grant id is the id of the application it was awarded from. */
export const grantIdSchema = applicationIdSchema;

/** One tranche of a grant: paid when milestone `number` is accepted. */
export const grantTrancheV1 = z.object({
  /** 1-based tranche number; equals the milestone number it pays for. */
  number: z.number().int().min(1).max(20),
  title: textSchema(200),
  dueDate: calendarDateSchema,
  amount: baseUnitsSchema,
});

const grantTermsV1 = {
  grantId: grantIdSchema,
  founder: founderSchema,
  payoutAccount: nearAccountIdSchema,
  title: textSchema(200),
  asset: assetCodeSchema,
  /** Whole base units; the tranches sum to it. */
  amount: baseUnitsSchema,
  tranches: z.array(grantTrancheV1).min(1).max(20),
};

/** `GrantAwarded` v1: a grant exists in `awarded` from an approved application. */
export const grantAwardedV1 = z.object({ ...grantTermsV1, awardedAt: timestampSchema });

/**
 * `GrantActivated` v1: the payout account signed the exact terms (`termsHash`, sha256 hex of the
 * canonical terms). Milestones opens one milestone per tranche; disbursements learns the terms.
 */
export const grantActivatedV1 = z.object({
  ...grantTermsV1,
  termsHash: z.string().regex(/^[0-9a-f]{64}$/),
  activatedAt: timestampSchema,
});

/**
 * `PayoutAccountChanged` v1: an admin approved a new payout account proven by its own signature.
 * It is in force from `effectiveAt` (approval + the cool-down); releases wait until then and
 * approvals given for the previous account are void.
 */
export const payoutAccountChangedV1 = z.object({
  grantId: grantIdSchema,
  previousAccount: nearAccountIdSchema,
  payoutAccount: nearAccountIdSchema,
  approvedBy: actorIdSchema,
  approvedAt: timestampSchema,
  effectiveAt: timestampSchema,
});

export const kycStatusSchema = z.enum(['verified', 'rejected', 'expired']);

/** `KycStatusChanged` v1: releases need `verified` and, when `expiresAt` is set, a date before it. */
export const kycStatusChangedV1 = z.object({
  grantId: grantIdSchema,
  status: kycStatusSchema,
  /** Last day (UTC) the verification is valid; null = no expiry. */
  expiresAt: calendarDateSchema.nullable(),
  recordedBy: actorIdSchema,
  recordedAt: timestampSchema,
});

/** `GrantCancelled` v1: unpaid tranches will not be paid; released money settles as the chain says. */
export const grantCancelledV1 = z.object({
  grantId: grantIdSchema,
  reason: textSchema(2000),
  cancelledBy: actorIdSchema,
  cancelledAt: timestampSchema,
});

/** `GrantCompleted` v1: every tranche settled on chain. */
export const grantCompletedV1 = z.object({
  grantId: grantIdSchema,
  completedAt: timestampSchema,
});

/** The public events on `grants.grant.v1` (TOPICS.grant), keyed by grant id. */
export const grantEventSchemas = topicEventsV1({
  GrantAwarded: grantAwardedV1,
  GrantActivated: grantActivatedV1,
  PayoutAccountChanged: payoutAccountChangedV1,
  KycStatusChanged: kycStatusChangedV1,
  GrantCancelled: grantCancelledV1,
  GrantCompleted: grantCompletedV1,
});

export type GrantIntegrationEventType = keyof typeof grantEventSchemas;
export type GrantIntegrationEventData<T extends GrantIntegrationEventType> = TopicEventData<
  typeof grantEventSchemas,
  T
>;
