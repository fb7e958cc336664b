import { z } from 'zod';
import { formatAmount } from '@lib/near';
import type { CsvColumn } from '@lib/platform';
import { type Disbursement, statusOf } from './disbursement';
import { DISBURSEMENT_STATUSES } from './disbursement.dto';

/** Decimals of an asset code (from the asset registry); unknown assets show base units. */
export type AssetDecimals = (asset: string) => number;

/** The API shape of one disbursement (amounts as decimal strings of the asset). */
export function disbursementView(
  state: Disbursement,
  version: number,
  decimals: AssetDecimals,
  requiredApprovals: number,
) {
  const units = decimals(state.asset);
  return {
    id: state.id,
    grantId: state.grantId,
    tranche: state.tranche,
    status: statusOf(state),
    version,
    asset: state.asset,
    amount: formatAmount({ decimals: units }, state.amount),
    receiver: state.receiver,
    founder: state.founder,
    acceptedBy: state.acceptedBy,
    approvals: state.approvals.map((a) => ({ by: a.by, at: a.at, comment: a.comment ?? null })),
    requiredApprovals,
    voidedApprovals: state.voidedApprovals.map((a) => ({
      by: a.by,
      at: a.at,
      voidedAt: a.voidedAt,
    })),
    hold: state.hold,
    attempt: state.attempt,
    attempts: state.attempts.map((a) => ({
      attempt: a.attempt,
      receiver: a.receiver,
      outcome: a.outcome,
      releasedAt: a.releasedAt,
      txHashes: a.txHashes,
      settledAt: a.settledAt ?? null,
      failedAt: a.failedAt ?? null,
      reason: a.reason ?? null,
    })),
    txHashes: state.attempts.flatMap((a) => a.txHashes),
    cancellation: state.cancellation,
    readyAt: state.readyAt,
    requestedAt: state.requestedAt,
    updatedAt: state.updatedAt,
  };
}

export type DisbursementView = ReturnType<typeof disbursementView>;

/** Columns of `GET /v1/disbursements?format=csv` (amounts as the JSON list shows them). */
export const DISBURSEMENT_CSV_COLUMNS: CsvColumn<DisbursementView>[] = [
  { header: 'id', value: (d) => d.id },
  { header: 'grantId', value: (d) => d.grantId },
  { header: 'tranche', value: (d) => d.tranche },
  { header: 'status', value: (d) => d.status },
  { header: 'version', value: (d) => d.version },
  { header: 'asset', value: (d) => d.asset },
  { header: 'amount', value: (d) => d.amount },
  { header: 'receiver', value: (d) => d.receiver },
  { header: 'founder', value: (d) => d.founder },
  { header: 'acceptedBy', value: (d) => d.acceptedBy },
  { header: 'approvedBy', value: (d) => d.approvals.map((a) => a.by).join(' ') },
  { header: 'requiredApprovals', value: (d) => d.requiredApprovals },
  { header: 'attempt', value: (d) => d.attempt },
  { header: 'txHashes', value: (d) => d.txHashes.join(' ') },
  { header: 'holdReason', value: (d) => d.hold?.reason },
  { header: 'cancellationReason', value: (d) => d.cancellation?.reason },
  { header: 'requestedAt', value: (d) => d.requestedAt },
  { header: 'readyAt', value: (d) => d.readyAt },
  { header: 'updatedAt', value: (d) => d.updatedAt },
];

const approvalSchema = z.object({ by: z.string(), at: z.string(), comment: z.string().nullable() });

/** Response schema of a disbursement (OpenAPI). */
export const disbursementViewSchema = z.object({
  id: z.string().describe('`<grantId>-<tranche>`'),
  grantId: z.string().uuid(),
  tranche: z.number().int(),
  status: z.enum(DISBURSEMENT_STATUSES),
  version: z.number().int(),
  asset: z.string(),
  amount: z.string().describe('decimal amount in asset units'),
  receiver: z.string(),
  founder: z.string(),
  acceptedBy: z.string(),
  approvals: z.array(approvalSchema),
  requiredApprovals: z.number().int(),
  voidedApprovals: z.array(z.object({ by: z.string(), at: z.string(), voidedAt: z.string() })),
  hold: z.object({ by: z.string(), reason: z.string(), at: z.string() }).nullable(),
  attempt: z.number().int(),
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      receiver: z.string(),
      outcome: z.enum(['pending', 'settled', 'failed']),
      releasedAt: z.string(),
      txHashes: z.array(z.string()),
      settledAt: z.string().nullable(),
      failedAt: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  txHashes: z.array(z.string()),
  cancellation: z.object({ by: z.string(), reason: z.string(), at: z.string() }).nullable(),
  readyAt: z.string().nullable(),
  requestedAt: z.string(),
  updatedAt: z.string(),
});

export const disbursementPageSchema = z.object({
  items: z.array(disbursementViewSchema),
  nextCursor: z.string().nullable(),
});
