import { z } from 'zod';
import { object, optionalBody, REASON_MAX, reasonText } from '../disbursement/disbursement.dto';
import { WAITING_REASONS } from '../disbursement/disbursement.errors';

/** `POST /v1/treasury/pause` */
export const pauseBody = optionalBody(object({ reason: reasonText(REASON_MAX).optional() }));
/** `POST /v1/treasury/resume` — no fields. */
export const resumeBody = optionalBody(object({}));
/** `POST /v1/treasury/runs` — no fields. */
export const runBody = optionalBody(object({}));

export const waitingReasonSchema = z.enum(WAITING_REASONS);

/** Response of `POST /v1/treasury/runs`. */
export const runResultSchema = z.object({
  released: z.array(z.object({ id: z.string(), attempt: z.number().int() })),
  waiting: z.array(z.object({ id: z.string(), reason: waitingReasonSchema })),
});

const byAsset = z.array(
  z.object({ asset: z.string(), count: z.number().int(), amount: z.string() }),
);

/** Response of `GET /v1/treasury` (also of pause and resume). */
export const treasuryViewSchema = z.object({
  paused: z.boolean(),
  pause: z
    .object({
      by: z.string(),
      reason: z.string().nullable(),
      cause: z.enum(['manual', 'discrepancy']),
      at: z.string(),
    })
    .nullable(),
  resume: z.object({ required: z.number().int(), approvals: z.array(z.string()) }),
  policy: z.object({
    kycRequired: z.boolean(),
    runIntervalSeconds: z.number().int(),
    windowHours: z.number().int(),
    assets: z.array(
      z.object({
        asset: z.string(),
        dualApprovalThreshold: z.string().nullable(),
        dailyLimit: z.string(),
      }),
    ),
  }),
  limits: z.array(
    z.object({
      asset: z.string(),
      limit: z.string(),
      used: z.string().describe('settled within the window'),
      reserved: z.string().describe('released, not settled yet, within the window'),
      available: z.string(),
      windowHours: z.number().int(),
    }),
  ),
  pending: z.object({
    awaitingApproval: byAsset,
    approved: byAsset,
    held: byAsset,
    released: byAsset,
    failed: byAsset,
    waitingForGrant: z.number().int().describe('accepted milestones whose grant is not known yet'),
  }),
  discrepancies: z.array(
    z.object({
      discrepancyId: z.string(),
      kind: z.string(),
      detail: z.string(),
      lane: z.string().nullable(),
      payoutId: z.string().nullable(),
      foundAt: z.string(),
      recordedAt: z.string(),
      resolvedAt: z.string().nullable(),
    }),
  ),
});
