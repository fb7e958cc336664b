import {
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Headers,
  HttpCode,
  Inject,
  Injectable,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import { type AuthUser, CurrentUser, FOUNDER_TOKEN_ISSUER, Roles } from '@lib/auth';
import {
  IdempotencyInterceptor,
  ifMatchVersion,
  listAnswer,
  ProblemError,
  SERVICE_CONFIG,
  validateBody,
} from '@lib/platform';
import { TreasuryClock } from '../clock';
import type { DisbursementsConfig } from '../config';
import { policyFor } from '../treasury/treasury-policy';
import type { DisbursementCommand } from './disbursement.decider';
import {
  approveBody,
  cancelBody,
  holdBody,
  liftHoldBody,
  listQuery,
  parseDisbursementId,
  retryBody,
} from './disbursement.dto';
import { DisbursementHandler, type LoadedDisbursement } from './disbursement.handler';
import { DisbursementList } from './disbursement-list.projection';
import { DISBURSEMENT_CSV_COLUMNS } from './disbursement-view.dto';

type Metadata = DisbursementCommand['metadata'];

/**
 * Disbursement and treasury routes are staff identities' only. A founder-issuer token never
 * carries a staff role (the verifier refuses it); this guard keeps it so whatever the roles say:
 * the deciders compare subs, so a founder identity must never reach them as a treasurer
 * (identities are (issuer, sub)). Runs after the global AuthGuard has set the user.
 */
@Injectable()
export class StaffIdentityGuard implements CanActivate {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user?.issuer === (this.config.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER)) {
      throw new ProblemError(403, 'staff_identity_required', 'founders have no treasury routes');
    }
    return true;
  }
}

@Controller('v1/disbursements')
@UseGuards(StaffIdentityGuard)
@UseInterceptors(IdempotencyInterceptor)
export class DisbursementController {
  constructor(
    private readonly handler: DisbursementHandler,
    private readonly list: DisbursementList,
    private readonly clock: TreasuryClock,
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
  ) {}

  @Get()
  @Roles('treasurer', 'admin')
  async index(
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
  ) {
    const { format, ...filters } = validateBody(listQuery, query, 400);
    // An export is every matching row: the page limit does not apply to it.
    return listAnswer(
      { format, accept },
      {
        page: () => this.list.list(filters),
        rows: () => this.list.stream(filters),
        view: (row) => row,
        csv: { filename: 'disbursements.csv', columns: DISBURSEMENT_CSV_COLUMNS },
      },
    );
  }

  @Get(':id')
  @Roles('treasurer', 'admin')
  async get(@Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    return this.respond(res, await this.handler.load(parseDisbursementId(id)));
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('treasurer')
  async approve(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { comment } = validateBody(approveBody, body);
    return this.run(
      res,
      id,
      match,
      async (metadata, asset) => ({
        type: 'ApproveDisbursement',
        data: {
          ...(comment ? { comment } : {}),
          policy: policyFor(this.config.policy, await asset()),
        },
        metadata,
      }),
      user,
    );
  }

  @Post(':id/hold')
  @HttpCode(200)
  @Roles('treasurer')
  async hold(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { reason } = validateBody(holdBody, body);
    return this.run(
      res,
      id,
      match,
      async (metadata) => ({
        type: 'HoldDisbursement',
        data: { reason },
        metadata,
      }),
      user,
    );
  }

  @Post(':id/release')
  @HttpCode(200)
  @Roles('treasurer')
  async release(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { comment } = validateBody(liftHoldBody, body);
    return this.run(
      res,
      id,
      match,
      async (metadata) => ({
        type: 'LiftHold',
        data: comment ? { comment } : {},
        metadata,
      }),
      user,
    );
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('treasurer')
  async cancel(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { reason } = validateBody(cancelBody, body);
    return this.run(
      res,
      id,
      match,
      async (metadata) => ({
        type: 'CancelDisbursement',
        data: { reason, source: 'treasurer' },
        metadata,
      }),
      user,
    );
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Roles('treasurer')
  async retry(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    validateBody(retryBody, body);
    return this.run(
      res,
      id,
      match,
      async (metadata, asset) => ({
        type: 'RetryDisbursement',
        data: { policy: policyFor(this.config.policy, await asset()) },
        metadata,
      }),
      user,
    );
  }

  private async run(
    res: Response,
    rawId: string,
    match: string | undefined,
    command: (metadata: Metadata, asset: () => Promise<string>) => Promise<DisbursementCommand>,
    user: AuthUser,
  ) {
    const id = parseDisbursementId(rawId);
    const expectedVersion = ifMatchVersion(match);
    const metadata: Metadata = { now: this.clock.now(), actor: user };
    // The policy of the disbursement's asset (asset never changes, so a plain read is enough).
    const asset = async () => (await this.handler.load(id)).state.asset;
    const result = await this.handler.execute(id, await command(metadata, asset), {
      expectedVersion,
    });
    return this.respond(res, result);
  }

  private respond(res: Response, loaded: LoadedDisbursement) {
    res.setHeader('etag', `"${loaded.version}"`);
    return this.handler.view(loaded.state, loaded.version);
  }
}
