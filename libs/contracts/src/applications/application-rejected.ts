import { z } from 'zod';
import { applicationIdSchema, founderSchema, timestampSchema, textSchema } from './values';

/** `ApplicationRejected` v1: an admin rejected the application (final). */
export const applicationRejectedV1 = z.object({
  applicationId: applicationIdSchema,
  founder: founderSchema,
  reason: textSchema(2000),
  decidedBy: z.string().min(1).max(200),
  rejectedAt: timestampSchema,
});

export type ApplicationRejectedV1 = z.infer<typeof applicationRejectedV1>;
