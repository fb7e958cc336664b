import { z } from 'zod';
import { type TopicEventData, topicEventsV1 } from '../registry';
import {
  assetCodeSchema,
  baseUnitsSchema,
  nearAccountIdSchema,
  textSchema,
  timestampSchema,
} from '../applications/values';
import { disbursementIdSchema } from '../disbursements';

const attemptSchema = z.number().int().min(1).max(1000);
/** A NEAR transaction hash (base58 of 32 bytes). */
export const txHashSchema = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
/** The signer lane: the treasury access key's public key, `ed25519:…`. */
const laneSchema = z.string().min(1).max(200);

const payoutRef = {
  /** `<disbursementId>-<attempt>`. */
  payoutId: z.string().min(1).max(200),
  disbursementId: disbursementIdSchema,
  attempt: attemptSchema,
};

/** `PayoutSubmitted` v1: the signed transaction was broadcast (sent as soon as it is). */
export const payoutSubmittedV1 = z.object({
  ...payoutRef,
  txHash: txHashSchema,
  signerPublicKey: laneSchema,
  nonce: z.string().regex(/^\d{1,20}$/),
  receiver: nearAccountIdSchema,
  asset: assetCodeSchema,
  amount: baseUnitsSchema,
  submittedAt: timestampSchema,
});

/** `PayoutSettled` v1: the transaction succeeded and is FINAL. */
export const payoutSettledV1 = z.object({
  ...payoutRef,
  txHash: txHashSchema,
  blockHash: z.string().min(1).max(100),
  blockHeight: z.string().regex(/^\d{1,20}$/),
  settledAt: timestampSchema,
});

/** `PayoutFailed` v1: the chain refused it (its reason) or it was proven dead and not re-signed. */
export const payoutFailedV1 = z.object({
  ...payoutRef,
  txHash: txHashSchema.nullable(),
  reason: textSchema(2000),
  failedAt: timestampSchema,
});

export const discrepancyKindSchema = z.enum([
  /** The chain's final outcome differs from the ledger's. */
  'outcome_mismatch',
  /** A lane key's on-chain nonce is above the highest nonce the ledger used: someone else signs. */
  'foreign_nonce',
  /** Treasury balances are not explained by the ledger. */
  'balance_mismatch',
]);

/** `ReconciliationDiscrepancyFound` v1: disbursements pauses releases on it. */
export const reconciliationDiscrepancyFoundV1 = z.object({
  discrepancyId: z.string().uuid(),
  kind: discrepancyKindSchema,
  detail: textSchema(2000),
  lane: laneSchema.nullable(),
  payoutId: z.string().min(1).max(200).nullable(),
  foundAt: timestampSchema,
});

/** The public events on `settlements.payout.v1` (TOPICS.payout), keyed by disbursement id. */
export const payoutEventSchemas = topicEventsV1({
  PayoutSubmitted: payoutSubmittedV1,
  PayoutSettled: payoutSettledV1,
  PayoutFailed: payoutFailedV1,
  ReconciliationDiscrepancyFound: reconciliationDiscrepancyFoundV1,
});

export type PayoutIntegrationEventType = keyof typeof payoutEventSchemas;
export type PayoutIntegrationEventData<T extends PayoutIntegrationEventType> = TopicEventData<
  typeof payoutEventSchemas,
  T
>;
