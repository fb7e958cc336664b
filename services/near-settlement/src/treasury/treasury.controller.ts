import { Controller, Get, Inject } from '@nestjs/common';
import type { JsonRpcProvider } from 'near-api-js';
import type { Pool } from 'pg';
import { Roles } from '@lib/auth';
import { ProblemError } from '@lib/contracts';
import {
  NearRpcError,
  formatAmount,
  viewAccessKey,
  viewAccount,
  viewFtBalance,
  type AssetRegistry,
} from '@lib/near';
import { PG_POOL } from '@lib/platform';
import { LaneSupervisor } from '../lane/lane.supervisor';
import { NEAR_ASSETS, NEAR_PROVIDER, TREASURY_ACCOUNT } from '../tokens';
import type { TreasuryBalancesView } from './treasury.dto';

/** GET /v1/treasury/balances: what the chain holds for the treasury, per asset and lane. */
@Controller('v1/treasury')
export class TreasuryController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(NEAR_PROVIDER) private readonly provider: JsonRpcProvider,
    @Inject(NEAR_ASSETS) private readonly assets: AssetRegistry,
    @Inject(TREASURY_ACCOUNT) private readonly treasuryAccountId: string,
    private readonly lanes: LaneSupervisor,
  ) {}

  @Get('balances')
  @Roles('treasurer', 'admin')
  async balances(): Promise<TreasuryBalancesView> {
    try {
      return await this.read();
    } catch (error) {
      if (error instanceof NearRpcError) {
        throw new ProblemError(
          502,
          'near_rpc_unavailable',
          `the NEAR RPC did not answer: ${error.code}`,
        );
      }
      throw error;
    }
  }

  private async read(): Promise<TreasuryBalancesView> {
    const accountId = this.treasuryAccountId;
    const account = await viewAccount(this.provider, accountId);
    const assets: TreasuryBalancesView['assets'] = [];
    for (const asset of this.assets.list()) {
      let units = 0n;
      if (asset.kind === 'native') units = account?.amount ?? 0n;
      else units = await viewFtBalance(this.provider, asset.contractId, accountId).catch(() => 0n);
      assets.push({
        asset: asset.symbol,
        kind: asset.kind,
        contractId: asset.kind === 'nep141' ? asset.contractId : null,
        amount: formatAmount(asset, units),
        baseUnits: units.toString(),
      });
    }
    const ledger = await this.pool.query<{ public_key: string; last_nonce: string; open: string }>(
      `SELECT l.public_key, l.last_nonce::text AS last_nonce,
              (SELECT count(*) FROM near_settlement.payouts p
               WHERE p.lane = l.public_key AND p.status IN ('requested', 'signed', 'broadcast'))::text AS open
       FROM near_settlement.signer_lanes l WHERE l.account_id = $1`,
      [accountId],
    );
    const byKey = new Map(ledger.rows.map((r) => [r.public_key, r]));
    const lanes: TreasuryBalancesView['lanes'] = [];
    for (const lane of this.lanes.activity()) {
      const key = await viewAccessKey(this.provider, accountId, lane.publicKey);
      const row = byKey.get(lane.publicKey);
      lanes.push({
        publicKey: lane.publicKey,
        onChainNonce: key ? key.nonce.toString() : null,
        ledgerNonce: row?.last_nonce ?? '0',
        drivenHere: lane.drivenHere,
        openPayouts: Number(row?.open ?? 0),
      });
    }
    return { treasuryAccountId: accountId, blockHeight: account?.blockHeight ?? 0, assets, lanes };
  }
}
