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
import { type AuthUser, CurrentUser, FOUNDER_TOKEN_ISSUER, Roles, sameIdentity } from '@lib/auth';
import type { AssetRegistry } from '@lib/near';
import {
  IdempotencyInterceptor,
  ifMatchVersion,
  ProblemError,
  SERVICE_CONFIG,
} from '@lib/platform';
import type { MilestonesConfig } from '../config';
import type { MilestoneCommand } from './milestone.decider';
import {
  parseGrantPath,
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

const notOwner = () => new ProblemError(403, 'not_owner', 'this grant belongs to another founder');

@Controller('v1/grants/:id/milestones')
@UseInterceptors(IdempotencyInterceptor)
export class MilestoneController {
  constructor(
    private readonly handler: MilestoneHandler,
    private readonly list: MilestoneList,
    @Inject(MILESTONE_ASSETS) private readonly assets: AssetRegistry,
    @Inject(MILESTONE_CLOCK) private readonly clock: MilestoneClock,
    @Inject(SERVICE_CONFIG) private readonly config: MilestonesConfig,
  ) {}

  /** The grant's founder as an identity: (founder issuer, NEAR account), never the account alone. */
  private isFounder(user: AuthUser, founderAccount: string): boolean {
    const issuer = this.config.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER;
    return sameIdentity(user, { issuer, sub: founderAccount });
  }

  private isFounderIssuer(user: AuthUser): boolean {
    return user.issuer === (this.config.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER);
  }

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
    if (audience === 'founder' && rows.some((row) => !this.isFounder(user, row.founder))) {
      throw notOwner();
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
    const expectedVersion = ifMatchVersion(match);
    const submission = parseSubmission(body);
    // The decider compares the account (sub); the issuer half of the identity is checked here, so
    // a staff identity whose sub equals the founder's account is never the founder.
    if (!this.isFounderIssuer(user)) throw notOwner();
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
    const expectedVersion = ifMatchVersion(match);
    const review = parseReview(body);
    // A founder-issuer identity is a founder, whatever it claims (the verifier refuses staff roles).
    if (this.isFounderIssuer(user)) {
      throw new ProblemError(403, 'review_role_required', 'a reviewer or admin reviews milestones');
    }
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
