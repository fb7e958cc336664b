import { z } from 'zod';
import {
  applicationIdSchema,
  assetCodeSchema,
  baseUnitsSchema,
  calendarDateSchema,
  founderSchema,
  nearAccountIdSchema,
  timestampSchema,
  textSchema,
} from './values';

export const approvedTrancheV1 = z.object({
  /** 1-based number of the application's proposed milestone this tranche pays for. */
  milestone: z.number().int().min(1),
  title: textSchema(200),
  amount: baseUnitsSchema,
  dueDate: calendarDateSchema,
});

/**
 * `ApplicationApproved` v1: an admin approved the application with grant terms. The grants
 * service awards a grant from it; tranches are unique per milestone and sum to `grant.amount`.
 */
export const applicationApprovedV1 = z
  .object({
    applicationId: applicationIdSchema,
    founder: founderSchema,
    payoutAccount: nearAccountIdSchema,
    title: textSchema(200),
    grant: z.object({
      asset: assetCodeSchema,
      amount: baseUnitsSchema,
      tranches: z.array(approvedTrancheV1).min(1).max(20),
    }),
    decidedBy: z.string().min(1).max(200),
    approvedAt: timestampSchema,
  })
  .superRefine((event, ctx) => {
    const milestones = event.grant.tranches.map((t) => t.milestone);
    if (new Set(milestones).size !== milestones.length) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['grant', 'tranches'],
        message: 'one tranche per milestone',
      });
    }
    // Refinements also run on dirty input: only sum amounts that are integer strings.
    const amounts = [event.grant.amount, ...event.grant.tranches.map((t) => t.amount)];
    if (!amounts.every((a) => typeof a === 'string' && /^\d+$/.test(a))) return;
    const sum = event.grant.tranches.reduce((total, t) => total + BigInt(t.amount), 0n);
    if (sum !== BigInt(event.grant.amount)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['grant', 'tranches'],
        message: 'tranche amounts must sum to grant.amount',
      });
    }
  });

export type ApplicationApprovedV1 = z.infer<typeof applicationApprovedV1>;
