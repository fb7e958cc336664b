import { z } from 'zod';

export const assetBalanceSchema = z.object({
  asset: z.string().describe('Asset code, e.g. NEAR or USDC'),
  kind: z.enum(['native', 'nep141']),
  contractId: z.string().nullable().describe('NEP-141 contract; null for NEAR'),
  amount: z.string().describe('Decimal amount, e.g. "2500.5"'),
  baseUnits: z.string().describe('Whole base units'),
});

export const laneViewSchema = z.object({
  publicKey: z.string().describe('The lane key, ed25519:…'),
  onChainNonce: z
    .string()
    .nullable()
    .describe('Access key nonce at final; null if the key is gone'),
  ledgerNonce: z.string().describe('Highest nonce the ledger used with this key'),
  drivenHere: z.boolean().describe('Whether the answering replica drives this lane now'),
  openPayouts: z.number().int().describe('Payouts on this lane not yet settled or failed'),
});

export const treasuryBalancesSchema = z.object({
  treasuryAccountId: z.string(),
  blockHeight: z.number().int().describe('Final block the balances were read at'),
  assets: z.array(assetBalanceSchema),
  lanes: z.array(laneViewSchema),
});

export type TreasuryBalancesView = z.infer<typeof treasuryBalancesSchema>;
