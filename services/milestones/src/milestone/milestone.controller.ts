import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import { type AuthUser, CurrentUser, Roles } from '@lib/auth';
import type { AssetRegistry } from '@lib/near';
import { IdempotencyInterceptor, ProblemError } from '@lib/platform';
import type { MilestoneCommand } from './milestone.decider';
import {
  parseGrantPath,
  parseIfMatch,
  parseListQuery,
  parseMilestonePath,
  parseReview,
  parseSubmission,
} from './milestone.dto';
import { type LoadedMilestone, MilestoneHandler } from './milestone.handler';
import { MilestoneList } from './milestone-list.projection';
import {
  type Audience,
  MILESTONE_CLOCK,
  type MilestoneClock,
  milestoneViewOf,
  stateViewable,
} from './milestone-view.dto';

export const MILESTONE_ASSETS = Symbol('MILESTONE_ASSETS');

const STAFF_ROLES = ['reviewer', 'admin', 'treasurer'] as const;

const audienceOf = (user: AuthUser): Audience =>
  user.roles.some((r) => (STAFF_ROLES as readonly string[]).includes(r)) ? 'staff' : 'founder';

@Controller('v1/grants/:id/milestones')
@UseInterceptors(IdempotencyInterceptor)
export class MilestoneController {
  constructor(
    private readonly handler: MilestoneHandler,
    private readonly list: MilestoneList,
    @Inject(MILESTONE_ASSETS) private readonly assets: AssetRegistry,
    @Inject(MILESTONE_CLOCK) private readonly clock: MilestoneClock,
  ) {}

  /** Founders see their own grant's milestones; staff see every grant's. */
  @Get()
  async milestones(
    @CurrentUser() user: AuthUser,
    @Param() params: Record<string, unknown>,
    @Query() query: Record<string, unknown>,
  ) {
    const grantId = parseGrantPath(params);
    const { status } = parseListQuery(query);
    const audience = audienceOf(user);
    const rows = await this.list.forGrant(grantId);
    if (audience === 'founder' && rows.some((row) => row.founder !== user.sub)) {
      throw new ProblemError(403, 'not_owner', 'this grant belongs to another founder');
    }
    const now = this.clock.now();
    return {
      items: rows
        .filter((row) => !status || status.includes(row.status))
        .map((row) => milestoneViewOf(row, { assets: this.assets, now, audience })),
    };
  }

  @Post(':n/submissions')
  @HttpCode(201)
  @Roles('founder')
  async submit(
    @CurrentUser() user: AuthUser,
    @Param() params: Record<string, unknown>,
    @Body() body: unknown,
    @Headers('if-match') match: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { grantId, number } = parseMilestonePath(params);
    const expectedVersion = parseIfMatch(match);
    const submission = parseSubmission(body);
    return this.run(res, user, grantId, number, expectedVersion, {
      type: 'SubmitMilestone',
      data: submission,
      metadata: { now: this.clock.now(), actor: user },
    });
  }

  @Post(':n/review')
  @HttpCode(200)
  @Roles('reviewer', 'admin')
  async review(
    @CurrentUser() user: AuthUser,
    @Param() params: Record<string, unknown>,
    @Body() body: unknown,
    @Headers('if-match') match: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { grantId, number } = parseMilestonePath(params);
    const expectedVersion = parseIfMatch(match);
    const review = parseReview(body);
    return this.run(res, user, grantId, number, expectedVersion, {
      type: 'ReviewMilestone',
      data: review,
      metadata: { now: this.clock.now(), actor: user },
    });
  }

  private async run(
    res: Response,
    user: AuthUser,
    grantId: string,
    number: number,
    expectedVersion: number | undefined,
    command: MilestoneCommand,
  ) {
    const result = await this.handler.execute(grantId, number, command, { expectedVersion });
    return this.respond(res, result, user);
  }

  private respond(res: Response, loaded: LoadedMilestone, user: AuthUser) {
    res.setHeader('etag', `"${loaded.version}"`);
    return milestoneViewOf(stateViewable(loaded.state, loaded.version), {
      assets: this.assets,
      now: this.clock.now(),
      audience: audienceOf(user),
    });
  }
}
