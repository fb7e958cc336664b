import { randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { type AuthUser, CurrentUser, Roles, sameIdentity } from '@lib/auth';
import {
  commaList,
  type CsvColumn,
  IdempotencyInterceptor,
  ifMatchVersion,
  listAnswer,
  listQueryFields,
  SERVICE_CONFIG,
  validateBody,
} from '@lib/platform';
import { resolveNearNetwork } from '@lib/near';
import type { ApplicationsConfig } from '../config';
import { APPLICATION_CATEGORIES, APPLICATION_STATUSES, type Application } from './application';
import { type ApplicationCommand } from './application.decider';
import { ApplicationError } from './application.errors';
import {
  assetDecimalsOf,
  assignReviewersBody,
  type BodyContext,
  createApplicationBody,
  decisionBody,
  editApplicationBody,
  submitReviewBody,
  withdrawApplicationBody,
} from './application.dto';
import { ApplicationHandler, type LoadedApplication } from './application.handler';
import { ApplicationQueue } from './application-queue.projection';
import { ApplicationViews, type Audience, type QueueItemView } from './application-view.dto';

const STAFF_ROLES = ['reviewer', 'admin', 'treasurer'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  commaList(values, 500).openapi({
    description: `Comma-separated, one or more of: ${values.join(', ')}.`,
  });

/** An ISO date or date-time that is a real instant Postgres accepts (years 1970–9999). */
const instant = z
  .string()
  .datetime({ offset: true })
  .or(z.string().date())
  .refine((s) => {
    const ms = Date.parse(s);
    return ms >= 0 && ms < Date.UTC(10_000, 0, 1);
  }, 'not a date between 1970 and 9999');

/** `GET /v1/applications` query (also the API document's parameters). */
export const listQuery = z
  .object({
    status: csv(APPLICATION_STATUSES).optional(),
    category: csv(APPLICATION_CATEGORIES).optional(),
    // No control characters: Postgres text cannot hold NUL, and nothing legitimate sends them.
    reviewer: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters')
      .optional(),
    createdFrom: instant.optional(),
    createdTo: instant.optional(),
    ...listQueryFields(),
  })
  .strict();

const audienceOf = (user: AuthUser): Audience =>
  user.roles.some((r) => (STAFF_ROLES as readonly string[]).includes(r)) ? 'staff' : 'founder';

/**
 * Founders may only see their own application; staff see all. The owner is a NEAR account that
 * signed in through this service, so ownership is (founder issuer, account), never the sub alone.
 */
function assertCanRead(user: AuthUser, state: Application, founderIssuer: string): void {
  if (
    audienceOf(user) === 'founder' &&
    !sameIdentity(user, { issuer: founderIssuer, sub: state.owner })
  ) {
    throw new ApplicationError('not_owner', 'this application belongs to another founder');
  }
}

function applicationId(raw: string): string {
  if (!UUID.test(raw)) throw new ApplicationError('application_not_found', 'no such application');
  return raw;
}

@Controller('v1/applications')
@UseInterceptors(IdempotencyInterceptor)
export class ApplicationController {
  // Body schemas are built once, over the configured assets (NEAR_EXTRA_TOKENS included); due
  // dates are checked against the clock at parse time.
  private readonly context: BodyContext;
  private readonly createBody;
  private readonly editBody;
  private readonly decisionBody;
  private readonly views: ApplicationViews;

  constructor(
    private readonly handler: ApplicationHandler,
    private readonly queue: ApplicationQueue,
    @Inject(SERVICE_CONFIG) private readonly config: ApplicationsConfig,
  ) {
    const assetDecimals = assetDecimalsOf(resolveNearNetwork(config).assets);
    this.context = {
      get now() {
        return new Date();
      },
      assetDecimals,
    };
    this.createBody = createApplicationBody(this.context);
    this.editBody = editApplicationBody(this.context);
    this.decisionBody = decisionBody(this.context);
    this.views = new ApplicationViews(assetDecimals);
  }

  @Post()
  @HttpCode(201)
  @Roles('founder')
  async create(
    @CurrentUser() user: AuthUser,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const now = new Date();
    const fields = validateBody(this.createBody, body);
    const id = randomUUID();
    const result = await this.handler.execute(id, {
      type: 'CreateDraft',
      data: { applicationId: id, fields },
      metadata: { now, actor: user },
    });
    res.setHeader('location', `/v1/applications/${id}`);
    return this.respond(res, result, user);
  }

  @Get()
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
  ) {
    const { format, ...filters } = validateBody(listQuery, query, 400);
    const audience = audienceOf(user);
    const selection = {
      ...filters,
      // Founders see their own applications whatever they ask for (none unless signed in here).
      owner: audience === 'founder' ? this.ownerOf(user) : undefined,
      reviewer: audience === 'staff' ? filters.reviewer : undefined,
      createdFrom: filters.createdFrom ? new Date(filters.createdFrom) : undefined,
      createdTo: filters.createdTo ? new Date(filters.createdTo) : undefined,
    };
    return listAnswer(
      { format, accept },
      {
        page: () => this.queue.list(selection),
        rows: () => this.queue.stream(selection),
        view: (row) => this.views.queueItem(row, audience),
        csv: { filename: 'applications.csv', columns: queueCsvColumns(audience) },
      },
    );
  }

  @Get(':id')
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const loaded = await this.handler.load(applicationId(id));
    assertCanRead(user, loaded.state, this.config.AUTH_FOUNDER_ISSUER);
    return this.respond(res, loaded, user);
  }

  @Patch(':id')
  @Roles('founder')
  async edit(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const now = new Date();
    const changes = validateBody(this.editBody, body);
    return this.run(res, user, id, match, {
      type: 'EditApplication',
      data: { changes },
      metadata: { now, actor: user },
    });
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles('founder')
  async submit(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.run(res, user, id, match, {
      type: 'SubmitApplication',
      data: {},
      metadata: { now: new Date(), actor: user },
    });
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Roles('founder')
  async withdraw(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const data: { reason?: string } = validateBody(withdrawApplicationBody, body);
    return this.run(res, user, id, match, {
      type: 'WithdrawApplication',
      data,
      metadata: { now: new Date(), actor: user },
    });
  }

  @Post(':id/reviewers')
  @HttpCode(200)
  @Roles('admin')
  async assignReviewers(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { reviewers } = validateBody(assignReviewersBody, body);
    return this.run(res, user, id, match, {
      type: 'AssignReviewers',
      data: { reviewers },
      metadata: { now: new Date(), actor: user },
    });
  }

  @Post(':id/reviews')
  @HttpCode(200)
  @Roles('reviewer')
  async review(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const review = validateBody(submitReviewBody, body);
    return this.run(res, user, id, match, {
      type: 'SubmitReview',
      data: review,
      metadata: { now: new Date(), actor: user },
    });
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Roles('admin')
  async decide(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const decision = validateBody(this.decisionBody, body);
    return this.run(res, user, id, match, {
      type: 'DecideApplication',
      data: decision,
      metadata: { now: new Date(), actor: user },
    });
  }

  private async run(
    res: Response,
    user: AuthUser,
    id: string,
    match: string | undefined,
    command: ApplicationCommand,
  ) {
    const expectedVersion = ifMatchVersion(match);
    const result = await this.handler.execute(applicationId(id), command, { expectedVersion });
    return this.respond(res, result, user);
  }

  /** The owner key a founder's list is filtered by: their account, if they signed in here. */
  private ownerOf(user: AuthUser): string {
    return user.issuer === this.config.AUTH_FOUNDER_ISSUER ? user.sub : ''; // no owner is empty
  }

  private respond(res: Response, loaded: LoadedApplication, user: AuthUser) {
    res.setHeader('etag', `"${loaded.version}"`);
    return this.views.application(loaded.state, loaded.version, audienceOf(user));
  }
}

/** Columns of the queue's CSV export: the list item's fields; staff also see the review fields. */
function queueCsvColumns(audience: Audience): CsvColumn<QueueItemView>[] {
  const columns: CsvColumn<QueueItemView>[] = [
    { header: 'id', value: (r) => r.id },
    { header: 'status', value: (r) => r.status },
    { header: 'title', value: (r) => r.title },
    { header: 'category', value: (r) => r.category },
    { header: 'owner', value: (r) => r.owner },
    { header: 'requested_asset', value: (r) => r.requestedFunding.asset },
    { header: 'requested_amount', value: (r) => r.requestedFunding.amount },
    { header: 'version', value: (r) => r.version },
    { header: 'created_at', value: (r) => r.createdAt },
    { header: 'submitted_at', value: (r) => r.submittedAt },
    { header: 'updated_at', value: (r) => r.updatedAt },
  ];
  if (audience === 'staff') {
    columns.push(
      { header: 'reviewers', value: (r) => r.reviewers?.join(';') },
      { header: 'review_count', value: (r) => r.reviewCount },
    );
  }
  return columns;
}
