import { randomUUID } from 'node:crypto';

/** A valid application body; milestones due a year from now. */
export function applicationBody(payoutAccount: string, overrides: Record<string, unknown> = {}) {
  const due = (months: number) => {
    const date = new Date();
    date.setUTCMonth(date.getUTCMonth() + months);
    return date.toISOString().slice(0, 10);
  };
  return {
    title: `Verifiable inference ${randomUUID().slice(0, 8)}`,
    summary: 'Proofs of model execution settled on NEAR.',
    category: 'agents',
    team: [{ name: 'Ada', role: 'CEO', contact: 'ada@example.org' }],
    requestedFunding: { asset: 'USDC', amount: '50000' },
    payoutAccount,
    milestones: [
      { title: 'Prototype', description: 'Runs end to end', dueDate: due(6), amount: '20000' },
      {
        title: 'Mainnet launch',
        description: 'Live on mainnet',
        dueDate: due(12),
        amount: '30000',
      },
    ],
    ...overrides,
  };
}
