import { ConfigError } from '@lib/platform';
import { loadConfig } from '../config';
import { policyFor } from './treasury-policy';

const NEAR = 10n ** 24n;
const USDC = 10n ** 6n;

describe('treasury policy from configuration', () => {
  it('defaults: NEAR 100 / 1000, USDC 10000 / 100000, KYC required, a run every 60 s', () => {
    const { policy } = loadConfig({});
    expect(policy).toEqual({
      assets: [
        {
          asset: 'NEAR',
          decimals: 24,
          dualApprovalThreshold: 100n * NEAR,
          dailyLimit: 1000n * NEAR,
        },
        {
          asset: 'USDC',
          decimals: 6,
          dualApprovalThreshold: 10_000n * USDC,
          dailyLimit: 100_000n * USDC,
        },
      ],
      kycRequired: true,
      runIntervalSeconds: 60,
    });
  });

  it('parses decimal amounts in asset units and the switches', () => {
    const { policy } = loadConfig({
      TREASURY_DUAL_APPROVAL_THRESHOLD: 'USDC=2500.5',
      TREASURY_DAILY_LIMIT: ' USDC = 10000 ,NEAR=0.5',
      KYC_REQUIRED: 'false',
      TREASURY_RUN_INTERVAL_SECONDS: '0',
    });
    expect(policyFor(policy, 'USDC')).toMatchObject({
      dualApprovalThreshold: 2_500_500_000n,
      dailyLimit: 10_000n * USDC,
    });
    // Listed only under the limit: every amount then needs two approvals.
    expect(policyFor(policy, 'NEAR')).toMatchObject({
      dualApprovalThreshold: null,
      dailyLimit: NEAR / 2n,
    });
    expect(policy.kycRequired).toBe(false);
    expect(policy.runIntervalSeconds).toBe(0);
  });

  it('an unconfigured asset gets the strictest policy', () => {
    expect(policyFor(loadConfig({}).policy, 'DAI')).toEqual({
      asset: 'DAI',
      decimals: 0,
      dualApprovalThreshold: null,
      dailyLimit: 0n,
    });
  });

  it.each([
    ['TREASURY_DAILY_LIMIT', 'USDC=1.0000001', /6 decimals/],
    ['TREASURY_DAILY_LIMIT', 'DAI=5', /unknown asset DAI/],
    ['TREASURY_DUAL_APPROVAL_THRESHOLD', 'USDC=-1', /negative/],
    ['TREASURY_DUAL_APPROVAL_THRESHOLD', 'USDC', /ASSET=amount/],
    ['TREASURY_DUAL_APPROVAL_THRESHOLD', 'USDC=1,USDC=2', /twice/],
    ['KYC_REQUIRED', 'maybe', /./],
    ['TREASURY_RUN_INTERVAL_SECONDS', '-1', /./],
  ])('refuses %s=%s naming the variable', (variable, value, message) => {
    let caught: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems[0].variable).toBe(variable);
    expect((caught as ConfigError).problems[0].message).toMatch(message);
  });
});
