import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { commandHeaders, jsonBody, jsonResponse, problemResponses } from '@lib/platform';
import {
  grantPathParams,
  listMilestonesQuery,
  milestonePathParams,
  reviewMilestoneBody,
  submitMilestoneBody,
} from './milestone/milestone.dto';
import { milestoneListView, milestoneView } from './milestone/milestone-view.dto';

// The milestones routes as data, from the same zod schemas the controller validates with; the
// gateway merges them into /openapi.json.

const DESCRIPTIONS: Partial<Record<number, string>> = {
  400: 'Malformed header or query (every problem listed)',
  401: 'No valid bearer token',
  403: 'Wrong role, another founder’s grant, or the founder reviewing their own milestone',
  404: 'No such milestone',
  409: 'Wrong state (cancelled, accepted, awaiting review, not submitted) or a stale If-Match',
  422: 'Invalid body (every field problem listed)',
};

const problems = (...statuses: number[]) => problemResponses(statuses, DESCRIPTIONS);

const etag = z.object({ etag: z.string().describe('The milestone version, e.g. "3"') });

export const openApiRoutes: RouteConfig[] = [
  {
    method: 'get',
    path: '/v1/grants/{id}/milestones',
    tags: ['milestones'],
    summary: 'A grant’s milestones with submissions, reviews and the overdue flag',
    description: 'Founders see their own grant’s milestones; staff see every grant’s.',
    security: [{ bearer: [] }],
    request: { params: grantPathParams, query: listMilestonesQuery },
    responses: {
      200: jsonResponse(
        'Milestones in tranche order (empty until the grant is active)',
        milestoneListView,
      ),
      ...problems(400, 401, 403),
    },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/milestones/{n}/submissions',
    tags: ['milestones'],
    summary: 'Report a milestone with evidence links (founder of the grant)',
    description: 'From `pending`, or `rejected` (a resubmission) → `submitted`.',
    security: [{ bearer: [] }],
    request: {
      params: milestonePathParams,
      headers: commandHeaders({ ifMatch: true }),
      body: jsonBody(submitMilestoneBody, {
        example: {
          summary: 'Shipped the indexer; load-tested at 2k events/s.',
          evidenceUrls: ['https://github.com/example/indexer/releases/tag/v1.0.0'],
        },
      }),
    },
    responses: {
      201: jsonResponse('Submitted', milestoneView, etag),
      ...problems(400, 401, 403, 404, 409, 422),
    },
  },
  {
    method: 'post',
    path: '/v1/grants/{id}/milestones/{n}/review',
    tags: ['milestones'],
    summary: 'Accept or reject a submitted milestone (reviewer or admin)',
    description:
      'Accepting publishes `MilestoneAccepted` (the only event that makes a tranche payable); ' +
      'rejecting needs a comment and lets the founder resubmit.',
    security: [{ bearer: [] }],
    request: {
      params: milestonePathParams,
      headers: commandHeaders({ ifMatch: true }),
      body: jsonBody(reviewMilestoneBody, {
        example: { decision: 'accept', comment: 'Release and load test verified.' },
      }),
    },
    responses: {
      200: jsonResponse('Reviewed', milestoneView, etag),
      ...problems(400, 401, 403, 404, 409, 422),
    },
  },
];
