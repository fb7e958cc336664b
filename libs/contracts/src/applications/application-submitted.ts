import { z } from 'zod';
import {
  applicationCategorySchema,
  applicationIdSchema,
  assetCodeSchema,
  baseUnitsSchema,
  founderSchema,
  timestampSchema,
  textSchema,
} from './values';

/** `ApplicationSubmitted` v1: a founder submitted (or, after requested changes, resubmitted). */
export const applicationSubmittedV1 = z.object({
  applicationId: applicationIdSchema,
  founder: founderSchema,
  title: textSchema(200),
  category: applicationCategorySchema,
  requestedFunding: z.object({ asset: assetCodeSchema, amount: baseUnitsSchema }),
  /** 1 for the first submission, +1 per resubmission. */
  round: z.number().int().positive(),
  resubmission: z.boolean(),
  submittedAt: timestampSchema,
});

export type ApplicationSubmittedV1 = z.infer<typeof applicationSubmittedV1>;
