/** Integration-event topics: `<context>.<aggregate>.v<major>`, keyed by aggregate id. */
export const TOPICS = {
  application: 'applications.application.v1',
  grant: 'grants.grant.v1',
  milestone: 'milestones.milestone.v1',
  disbursement: 'disbursements.disbursement.v1',
  payout: 'settlements.payout.v1',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Where a topic's dead letters go. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
