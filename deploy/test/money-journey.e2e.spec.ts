import {
  acceptMilestone,
  activeGrant,
  approveDisbursement,
  createStaff,
  payoutBalance,
  settledTranche,
  type Staff,
  toUnits,
  treasuryRun,
} from '../local/system/journey';
import { SystemRunner } from '../local/system/system';
import { SystemClient } from '../local/system/system-client';

/**
 * The money path end to end on the whole system (every service its own process, the gateway in
 * front, a private broker, a fresh database, the NEAR emulator), through the gateway only.
 */
describe('the money path: founder to on-chain payout, through the gateway', () => {
  let system: SystemRunner;
  let client: SystemClient;
  let staff: Staff;

  beforeAll(async () => {
    system = new SystemRunner({ env: { TREASURY_RUN_INTERVAL_SECONDS: '0' } });
    await system.start();
    client = new SystemClient(system);
    staff = await createStaff(client);
  }, 420_000);

  afterAll(async () => {
    await system?.stop();
  }, 120_000);

  it.each([
    // Tranche 1 at or above the dual-approval threshold (NEAR=100, USDC=10000): two treasurers.
    ['NEAR', ['150', '50']],
    ['USDC', ['15000.5', '30000']],
  ])(
    '%s: apply, review, approve two tranches, accept signed by the payout account, milestone 1 accepted, approved twice, treasury run, settled on chain',
    async (asset, amounts) => {
      const grant = await activeGrant(client, system.emulatorUrl, staff, asset, amounts);
      const before = await payoutBalance(system.emulatorUrl, system.usdcContract, grant);

      const disbursement = await acceptMilestone(client, staff, grant, 1);
      expect(disbursement).toMatchObject({
        grantId: grant.grantId,
        tranche: 1,
        asset,
        amount: amounts[0],
        receiver: grant.payout.accountId,
        requiredApprovals: 2,
      });
      await approveDisbursement(client, staff, disbursement);
      const run = await treasuryRun(client, staff);
      expect(run.released?.map((r) => r.id)).toContain(disbursement.id);

      const tranche = await settledTranche(client, grant, 1);
      expect(tranche.payoutTxHash).toEqual(expect.any(String));
      const after = await payoutBalance(system.emulatorUrl, system.usdcContract, grant);
      expect(after - before).toBe(toUnits(amounts[0], asset));

      // Tranche 2 was never accepted: nothing of it moved.
      const overview = await client.call(
        'GET',
        `/v1/grants/${grant.grantId}`,
        grant.founder.token,
        {
          expect: 200,
        },
      );
      const second = (overview.body.tranches as Record<string, unknown>[]).find(
        (t) => t.number === 2,
      );
      expect(second).toMatchObject({ milestoneStatus: 'pending', payoutTxHash: null });
    },
    420_000,
  );
});
