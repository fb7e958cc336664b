/**
 * The money path through the gateway, step by step, as its users take it: a founder signs in with
 * NEAR and applies, reviewers review, an admin approves with tranches, the payout account signs
 * the terms, KYC is recorded, milestones are reported and accepted, treasurers approve, a treasury
 * run releases, the settlement service pays on the emulator. Shared by the journey e2e, the fault
 * suite and the pipeline bench.
 */
import { randomUUID } from 'node:crypto';
import type { KeyPair } from 'near-api-js';
import { createAccount, nearBalance, tokenBalance } from './near-rpc';
import { eventually, type Founder, type SystemClient } from './system-client';

export interface StaffMember {
  sub: string;
  token: string;
}

export interface Staff {
  admin: StaffMember;
  reviewers: [StaffMember, StaffMember];
  treasurers: [StaffMember, StaffMember];
}

export interface ActiveGrant {
  grantId: string;
  asset: string;
  /** Tranche amounts as decimal strings of the asset, tranche 1 first. */
  amounts: string[];
  founder: Founder;
  payout: { accountId: string; keyPair: KeyPair };
}

/** Base units of an asset as the chain counts them. */
export const DECIMALS: Record<string, number> = { NEAR: 24, USDC: 6 };

export function toUnits(decimal: string, asset: string): bigint {
  const decimals = DECIMALS[asset];
  const [whole, fraction = ''] = decimal.split('.');
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

export async function createStaff(client: SystemClient, tag = randomUUID().slice(0, 6)) {
  const member = async (role: 'admin' | 'reviewer' | 'treasurer', name: string) => {
    const sub = `${name}-${tag}`;
    return { sub, token: await client.staffToken(sub, [role]) };
  };
  return {
    admin: await member('admin', 'admin'),
    reviewers: [await member('reviewer', 'rev-a'), await member('reviewer', 'rev-b')],
    treasurers: [await member('treasurer', 'tre-a'), await member('treasurer', 'tre-b')],
  } satisfies Staff;
}

/** Founder applies, two reviewers recommend, admin approves; the payout account accepts; KYC verified. */
export async function activeGrant(
  client: SystemClient,
  emulatorUrl: string,
  staff: Staff,
  asset: string,
  amounts: string[],
): Promise<ActiveGrant> {
  const founder = await client.signInFounder();
  const payout = await createAccount(emulatorUrl, {
    accountId: `payout-${randomUUID().slice(0, 10)}.test.near`,
  });
  const created = await client.call('POST', '/v1/applications', founder.token, {
    body: client.applicationBody(payout.accountId, asset, amounts),
    expect: 201,
  });
  const id = String(created.body.id);
  await client.call('POST', `/v1/applications/${id}/submit`, founder.token, { expect: 200 });
  await client.call('POST', `/v1/applications/${id}/reviewers`, staff.admin.token, {
    body: { reviewers: staff.reviewers.map((r) => r.sub) },
    expect: 200,
  });
  for (const reviewer of staff.reviewers) {
    await client.call('POST', `/v1/applications/${id}/reviews`, reviewer.token, {
      body: {
        scores: { team: 4, technical: 5, impact: 4, ecosystemFit: 4 },
        recommendation: 'approve',
        comment: 'Fund it',
        conflictOfInterest: false,
      },
      expect: 200,
    });
  }
  const total = amounts.reduce((sum, a) => sum + toUnits(a, asset), 0n);
  await client.call('POST', `/v1/applications/${id}/decision`, staff.admin.token, {
    body: {
      decision: 'approve',
      reason: 'Strong team',
      grant: {
        asset,
        amount: formatUnits(total, asset),
        tranches: amounts.map((amount, i) => ({ milestone: i + 1, amount })),
      },
    },
    expect: 200,
  });
  const awarded = await eventually(
    async () => {
      const grant = await client.call('GET', `/v1/grants/${id}`, founder.token);
      return grant.status === 200 && grant.body.status === 'awarded' ? grant : undefined;
    },
    90_000,
    `grant ${id} awarded`,
  );
  const challenge = await client.call(
    'POST',
    `/v1/grants/${id}/acceptance-challenge`,
    founder.token,
    {
      body: {},
      expect: 200,
    },
  );
  await client.call('POST', `/v1/grants/${id}/accept`, founder.token, {
    body: await client.signChallenge(payout.accountId, payout.keyPair, challenge.body),
    headers: { 'if-match': `"${String(awarded.body.version)}"` },
    expect: 200,
  });
  await client.call('POST', `/v1/grants/${id}/kyc`, staff.admin.token, {
    body: { status: 'verified', expiresAt: '2031-12-31' },
    expect: 200,
  });
  return { grantId: id, asset, amounts, founder, payout };
}

/** The founder reports milestone `n`, reviewer A accepts it; resolves with its disbursement. */
export async function acceptMilestone(
  client: SystemClient,
  staff: Staff,
  grant: ActiveGrant,
  n: number,
): Promise<Record<string, unknown>> {
  const base = `/v1/grants/${grant.grantId}/milestones`;
  await eventually(
    async () => {
      const list = await client.call('GET', base, grant.founder.token);
      const item = list.body.items?.find((m) => m.number === n);
      return item?.status === 'pending' ? item : undefined;
    },
    90_000,
    `milestone ${n} of ${grant.grantId} pending`,
  );
  await client.call('POST', `${base}/${n}/submissions`, grant.founder.token, {
    body: {
      summary: `Milestone ${n} delivered`,
      evidenceUrls: ['https://github.com/example/repo'],
    },
    expect: [200, 201],
  });
  await client.call('POST', `${base}/${n}/review`, staff.reviewers[0].token, {
    body: { decision: 'accept', comment: 'Verified' },
    expect: [200, 201],
  });
  return disbursementOf(client, staff, grant.grantId, n);
}

/** The disbursement of tranche `n` once the disbursements service has it. */
export function disbursementOf(
  client: SystemClient,
  staff: Staff,
  grantId: string,
  n: number,
  timeoutMs = 90_000,
): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const list = await client.call(
        'GET',
        `/v1/disbursements?grantId=${grantId}`,
        staff.treasurers[0].token,
      );
      return list.body.items?.find((d) => d.tranche === n);
    },
    timeoutMs,
    `disbursement of ${grantId} tranche ${n}`,
  );
}

/** As many distinct treasurers approve as the policy requires. */
export async function approveDisbursement(
  client: SystemClient,
  staff: Staff,
  disbursement: Record<string, unknown>,
): Promise<void> {
  const required = Number(disbursement.requiredApprovals ?? 2);
  for (const treasurer of staff.treasurers.slice(0, required)) {
    await client.call(
      'POST',
      `/v1/disbursements/${String(disbursement.id)}/approve`,
      treasurer.token,
      {
        body: { comment: 'ok' },
        expect: [200, 409],
      },
    );
  }
}

export async function treasuryRun(client: SystemClient, staff: Staff) {
  return (
    // 409 run_in_progress: another run holds the lock; it (or the next) releases ours.
    (
      await client.call('POST', '/v1/treasury/runs', staff.treasurers[0].token, {
        body: {},
        expect: [200, 409],
      })
    ).body as { released?: { id: string }[]; waiting?: { id: string; reason: string }[] }
  );
}

/** The grant overview's tranche once it shows `settled` with its transaction hash. */
export function settledTranche(
  client: SystemClient,
  grant: ActiveGrant,
  n: number,
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const view = await client.call('GET', `/v1/grants/${grant.grantId}`, grant.founder.token);
      const tranche = (view.body.tranches as Record<string, unknown>[] | undefined)?.find(
        (t) => t.number === n,
      );
      return tranche?.disbursementStatus === 'settled' && tranche.payoutTxHash
        ? tranche
        : undefined;
    },
    timeoutMs,
    `tranche ${n} of ${grant.grantId} settled in the overview`,
  );
}

/** The payout account's balance of the grant's asset on chain (base units). */
export async function payoutBalance(
  emulatorUrl: string,
  usdcContract: string,
  grant: Pick<ActiveGrant, 'asset' | 'payout'>,
): Promise<bigint> {
  return grant.asset === 'NEAR'
    ? ((await nearBalance(emulatorUrl, grant.payout.accountId)) ?? 0n)
    : tokenBalance(emulatorUrl, usdcContract, grant.payout.accountId);
}

export function formatUnits(units: bigint, asset: string): string {
  const decimals = DECIMALS[asset];
  const text = units.toString().padStart(decimals + 1, '0');
  const whole = text.slice(0, text.length - decimals);
  const fraction = text.slice(text.length - decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}
