import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { jsonResponse, problemResponses } from '@lib/platform';
import { treasuryBalancesSchema } from './treasury/treasury.dto';

// The near-settlement routes for the gateway's OpenAPI document.

export const openApiRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/v1/treasury/balances',
    operationId: 'getTreasuryBalances',
    tags: ['treasury'],
    summary: 'On-chain treasury balances per asset, and each signer lane with its nonces',
    description:
      'Read from the chain at `final`: NEAR and every configured NEP-141 token of the treasury ' +
      'account, and per signer lane (a full-access key) its on-chain nonce beside the highest ' +
      'nonce the payout ledger used. Roles: treasurer, admin.',
    responses: {
      '200': jsonResponse('Balances and lanes.', treasuryBalancesSchema),
      ...problemResponses([401, 403, 502]),
    },
  },
];
