import { z } from 'zod';
import type { CsvColumn } from '@lib/platform';
import { type AssetRegistry, formatAmount } from '@lib/near';
import {
  GRANT_STATUSES,
  type Grant,
  KYC_STATUSES,
  payoutAccountAt,
  scheduledPayoutAccountAt,
  termsHash,
} from './grant';
import type { OverviewRow, TrancheProgress } from './grant-overview.projection';

// The API shapes of grants (amounts as decimal strings of the asset). The zod schemas document
// the responses in OpenAPI; the functions build them.

/** Who is looking: founders see their own grant without staff identities. */
export type Audience = 'founder' | 'staff';

const decimal = z.string().describe('Decimal string of the asset, e.g. "2500.5"');
const timestamp = z.string().datetime({ offset: true });

export const trancheViewSchema = z.object({
  number: z.number().int(),
  title: z.string(),
  dueDate: z.string(),
  amount: decimal,
  milestoneStatus: z
    .enum(['pending', 'submitted', 'accepted', 'rejected', 'cancelled'])
    .nullable()
    .describe('null until the grant is active'),
  disbursementId: z.string().nullable(),
  disbursementStatus: z
    .enum(['awaiting_approval', 'approved', 'released', 'settled', 'failed', 'cancelled'])
    .nullable(),
  payoutStatus: z.enum(['broadcast', 'settled', 'failed']).nullable(),
  payoutTxHash: z.string().nullable().describe('NEAR transaction hash of the payout'),
});

/** What the one grant and the list item both say about a grant. */
const grantSummaryShape = {
  id: z.string().uuid(),
  status: z.enum(GRANT_STATUSES),
  version: z.number().int(),
  founder: z.string(),
  title: z.string(),
  asset: z.string(),
  amount: decimal,
};

export const grantViewSchema = z.object({
  ...grantSummaryShape,
  tranches: z.array(trancheViewSchema),
  termsHash: z
    .string()
    .describe('sha256 (hex) of the canonical terms with the payout account in force'),
  payoutAccount: z.string().describe('The account paid at the time of the request'),
  pendingPayoutAccountChange: z
    .object({
      account: z.string(),
      status: z.enum(['awaiting_approval', 'scheduled']),
      requestedAt: timestamp.nullable(),
      effectiveAt: timestamp.nullable(),
    })
    .nullable(),
  acceptance: z
    .object({ payoutAccount: z.string(), termsHash: z.string(), acceptedAt: timestamp })
    .nullable(),
  kyc: z
    .object({
      status: z.enum(KYC_STATUSES),
      expiresAt: z.string().nullable(),
      recordedAt: timestamp,
      recordedBy: z.string().optional(),
    })
    .nullable(),
  cancellation: z
    .object({ reason: z.string(), cancelledAt: timestamp, cancelledBy: z.string().optional() })
    .nullable(),
  completedAt: timestamp.nullable(),
  awardedAt: timestamp,
  updatedAt: timestamp,
});

export const grantListItemSchema = z.object({
  ...grantSummaryShape,
  trancheCount: z.number().int(),
  tranchesSettled: z.number().int().describe('Tranches whose payout settled on chain'),
  payoutAccount: z.string(),
  kycStatus: z.enum(KYC_STATUSES).nullable(),
  awardedAt: timestamp,
  updatedAt: timestamp,
});

export const grantListSchema = z.object({
  items: z.array(grantListItemSchema),
  nextCursor: z.string().nullable(),
});

export const proofChallengeSchema = z.object({
  message: z.string().describe('What the wallet signs (NEP-413)'),
  recipient: z.string(),
  nonce: z.string().describe('base64 of 32 bytes'),
  expiresAt: timestamp,
  termsHash: z.string().describe('sha256 (hex) of the canonical terms the message names'),
});

export type GrantView = z.infer<typeof grantViewSchema>;

export function amountOf(assets: AssetRegistry, asset: string, units: bigint): string {
  return formatAmount({ decimals: assets.find(asset)?.decimals ?? 0 }, units);
}

/** Whichever is further along: our own settlement record or what the topics reported. */
function milestoneStatusOf(grant: Grant, reported: string | null | undefined) {
  if (reported === 'accepted') return 'accepted';
  if (grant.status === 'cancelled') return grant.acceptance ? 'cancelled' : null;
  if (reported) return reported;
  return grant.status === 'awarded' ? null : 'pending';
}

export function grantView(
  grant: Grant,
  version: number,
  now: Date,
  progress: TrancheProgress[],
  assets: AssetRegistry,
  audience: Audience,
): GrantView {
  const byTranche = new Map(progress.map((p) => [p.tranche, p]));
  const payoutAccount = payoutAccountAt(grant, now);
  const scheduled = scheduledPayoutAccountAt(grant, now);
  const requested = grant.requestedPayoutAccount;
  const staff = audience === 'staff';
  return {
    id: grant.id,
    status: grant.status,
    version,
    founder: grant.founder,
    title: grant.title,
    asset: grant.asset,
    amount: amountOf(assets, grant.asset, grant.amount),
    tranches: grant.tranches.map((t) => {
      const reported = byTranche.get(t.number);
      const settled = grant.settled[t.number];
      return {
        number: t.number,
        title: t.title,
        dueDate: t.dueDate,
        amount: amountOf(assets, grant.asset, t.amount),
        milestoneStatus: milestoneStatusOf(grant, reported?.milestoneStatus),
        disbursementId: reported?.disbursementId ?? null,
        disbursementStatus: settled ? 'settled' : (reported?.disbursementStatus ?? null),
        payoutStatus: reported?.payoutStatus ?? (settled ? 'settled' : null),
        payoutTxHash: settled?.txHash ?? reported?.txHash ?? null,
      } as GrantView['tranches'][number];
    }),
    termsHash: termsHash(grant, payoutAccount),
    payoutAccount,
    pendingPayoutAccountChange: requested
      ? {
          account: requested.account,
          status: 'awaiting_approval',
          requestedAt: requested.requestedAt,
          effectiveAt: null,
        }
      : scheduled
        ? {
            account: scheduled.account,
            status: 'scheduled',
            requestedAt: null,
            effectiveAt: scheduled.effectiveAt,
          }
        : null,
    acceptance: grant.acceptance
      ? {
          payoutAccount: grant.acceptance.payoutAccount,
          termsHash: grant.acceptance.termsHash,
          acceptedAt: grant.acceptance.acceptedAt,
        }
      : null,
    kyc: grant.kyc
      ? {
          status: grant.kyc.status,
          expiresAt: grant.kyc.expiresAt,
          recordedAt: grant.kyc.recordedAt,
          ...(staff ? { recordedBy: grant.kyc.recordedBy } : {}),
        }
      : null,
    cancellation: grant.cancellation
      ? {
          reason: grant.cancellation.reason,
          cancelledAt: grant.cancellation.cancelledAt,
          ...(staff ? { cancelledBy: grant.cancellation.cancelledBy } : {}),
        }
      : null,
    completedAt: grant.completedAt ?? null,
    awardedAt: grant.awardedAt,
    updatedAt: grant.updatedAt,
  };
}

export type GrantListItemView = z.infer<typeof grantListItemSchema>;

export function grantListItemView(
  row: OverviewRow,
  now: Date,
  assets: AssetRegistry,
): GrantListItemView {
  return {
    id: row.id,
    status: row.status as GrantListItemView['status'],
    version: row.version,
    founder: row.founder,
    title: row.title,
    asset: row.asset,
    amount: amountOf(assets, row.asset, row.amount),
    trancheCount: row.trancheCount,
    tranchesSettled: row.tranchesSettled,
    payoutAccount: payoutAccountAt(row, now),
    kycStatus: row.kycStatus as GrantListItemView['kycStatus'],
    awardedAt: row.awardedAt,
    updatedAt: row.updatedAt,
  };
}

/** The CSV export's header line, in column order (documented in openapi.ts). */
export const GRANT_CSV_HEADERS = [
  'id',
  'title',
  'founder',
  'status',
  'asset',
  'amount',
  'payout_account',
  'kyc_status',
  'tranches_settled',
  'tranches_total',
  'version',
  'awarded_at',
  'updated_at',
] as const;

const csvValues: Record<
  (typeof GRANT_CSV_HEADERS)[number],
  (item: GrantListItemView) => string | number | null
> = {
  id: (i) => i.id,
  title: (i) => i.title,
  founder: (i) => i.founder,
  status: (i) => i.status,
  asset: (i) => i.asset,
  amount: (i) => i.amount,
  payout_account: (i) => i.payoutAccount,
  kyc_status: (i) => i.kycStatus,
  tranches_settled: (i) => i.tranchesSettled,
  tranches_total: (i) => i.trancheCount,
  version: (i) => i.version,
  awarded_at: (i) => i.awardedAt,
  updated_at: (i) => i.updatedAt,
};

/** The CSV export of `GET /v1/grants`: one line per list item, the same values as the JSON. */
export const GRANT_CSV_COLUMNS: CsvColumn<GrantListItemView>[] = GRANT_CSV_HEADERS.map(
  (header) => ({ header, value: csvValues[header] }),
);
