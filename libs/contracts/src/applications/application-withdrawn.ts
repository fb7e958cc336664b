import { z } from 'zod';
import { applicationIdSchema, founderSchema, timestampSchema, textSchema } from './values';

/** `ApplicationWithdrawn` v1: the founder withdrew the application (final). */
export const applicationWithdrawnV1 = z.object({
  applicationId: applicationIdSchema,
  founder: founderSchema,
  previousStatus: z.enum(['draft', 'submitted', 'under_review', 'changes_requested']),
  reason: textSchema(2000).optional(),
  withdrawnAt: timestampSchema,
});

export type ApplicationWithdrawnV1 = z.infer<typeof applicationWithdrawnV1>;
