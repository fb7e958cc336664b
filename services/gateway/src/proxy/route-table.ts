import type { GatewayConfig } from '../config';

export type Upstream = 'applications' | 'grants' | 'milestones' | 'disbursements' | 'settlement';

interface Route {
  pattern: RegExp;
  upstream: Upstream;
}

/** First match wins; more specific paths first. Paths are matched without the query string. */
const ROUTES: Route[] = [
  { pattern: /^\/v1\/auth\//, upstream: 'applications' },
  { pattern: /^\/v1\/applications(\/|$)/, upstream: 'applications' },
  { pattern: /^\/v1\/grants\/[^/]+\/milestones(\/|$)/, upstream: 'milestones' },
  { pattern: /^\/v1\/grants(\/|$)/, upstream: 'grants' },
  { pattern: /^\/v1\/disbursements(\/|$)/, upstream: 'disbursements' },
  { pattern: /^\/v1\/treasury\/balances$/, upstream: 'settlement' },
  { pattern: /^\/v1\/treasury(\/|$)/, upstream: 'disbursements' },
  { pattern: /^\/v1\/payouts(\/|$)/, upstream: 'settlement' },
  // Audit: a stream goes to the service that owns its aggregate (by the stream id's prefix), a
  // whole-schema verify to the service it names.
  { pattern: /^\/v1\/audit\/streams\/application-/, upstream: 'applications' },
  { pattern: /^\/v1\/audit\/streams\/grant-/, upstream: 'grants' },
  { pattern: /^\/v1\/audit\/streams\/milestone-/, upstream: 'milestones' },
  { pattern: /^\/v1\/audit\/streams\/disbursement-/, upstream: 'disbursements' },
  { pattern: /^\/v1\/audit\/streams\/payout-/, upstream: 'settlement' },
  { pattern: /^\/v1\/audit\/verify\/applications$/, upstream: 'applications' },
  { pattern: /^\/v1\/audit\/verify\/grants$/, upstream: 'grants' },
  { pattern: /^\/v1\/audit\/verify\/milestones$/, upstream: 'milestones' },
  { pattern: /^\/v1\/audit\/verify\/disbursements$/, upstream: 'disbursements' },
  { pattern: /^\/v1\/audit\/verify\/near-settlement$/, upstream: 'settlement' },
];

export function routeFor(path: string): Upstream | undefined {
  return ROUTES.find((route) => route.pattern.test(path))?.upstream;
}

export function upstreamUrls(config: GatewayConfig): Record<Upstream, string> {
  return {
    applications: config.APPLICATIONS_URL,
    grants: config.GRANTS_URL,
    milestones: config.MILESTONES_URL,
    disbursements: config.DISBURSEMENTS_URL,
    settlement: config.SETTLEMENT_URL,
  };
}
