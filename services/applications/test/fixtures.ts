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

/** An approval of `amount` USDC in two tranches (default 50000 = 20000 + 30000). */
export function approval(amount = '50000', tranches: [string, string] = ['20000', '30000']) {
  return {
    decision: 'approve',
    grant: {
      asset: 'USDC',
      amount,
      tranches: [
        { milestone: 1, amount: tranches[0] },
        { milestone: 2, amount: tranches[1] },
      ],
    },
  };
}

/** A review with every score `score`. */
export function reviewBody(recommendation: 'approve' | 'reject', score = 4, comment = 'ok') {
  return {
    scores: { team: score, technical: score, impact: score, ecosystemFit: score },
    recommendation,
    comment,
    conflictOfInterest: false,
  };
}
