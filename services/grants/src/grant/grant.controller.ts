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
import { type AuthUser, CurrentUser, Roles, sameIdentity } from '@lib/auth';
import type { AssetRegistry } from '@lib/near';
import {
  ifMatchVersion,
  IdempotencyInterceptor,
  listAnswer,
  SERVICE_CONFIG,
  validateBody,
} from '@lib/platform';
import { CLOCK, type Clock } from '../clock';
import type { GrantsConfig } from '../config';
import { type Grant, payoutAccountAt, termsHash } from './grant';
import {
  type GrantCommand,
  requireAcceptable,
  requireOwner,
  requirePayoutAccountChangeable,
} from './grant.decider';
import {
  acceptanceChallengeBody,
  approvePayoutAccountBody,
  cancelBody,
  grantId,
  kycBody,
  listGrantsQuery,
  payoutAccountChallengeBody,
  signedMessageBody,
} from './grant.dto';
import { GrantError } from './grant.errors';
import { GrantHandler, type LoadedGrant } from './grant.handler';
import { GrantOverview } from './grant-overview.projection';
import { ASSET_REGISTRY, GrantProofs } from './grant.proof';
import { type Audience, GRANT_CSV_COLUMNS, grantListItemView, grantView } from './grant-view.dto';

const STAFF_ROLES = ['reviewer', 'admin', 'treasurer'] as const;

const audienceOf = (user: AuthUser): Audience =>
  user.roles.some((r) => (STAFF_ROLES as readonly string[]).includes(r)) ? 'staff' : 'founder';

@Controller('v1/grants')
@UseInterceptors(IdempotencyInterceptor)
export class GrantController {
  constructor(
    private readonly handler: GrantHandler,
    private readonly overview: GrantOverview,
    private readonly proofs: GrantProofs,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ASSET_REGISTRY) private readonly assets: AssetRegistry,
    @Inject(SERVICE_CONFIG) private readonly config: GrantsConfig,
  ) {}

  @Get()
  @Roles('founder', ...STAFF_ROLES)
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
  ) {
    const { format, ...filters } = validateBody(listGrantsQuery, query, 400);
    const selection = {
      ...filters,
      // Founders see their own grants whatever they ask for (in the export too).
      founder: audienceOf(user) === 'founder' ? this.founderAccountOf(user) : undefined,
    };
    const now = this.clock.now();
    return listAnswer(
      { format, accept },
      {
        page: () => this.overview.list(selection),
        rows: () => this.overview.stream(selection),
        view: (row) => grantListItemView(row, now, this.assets),
        csv: { filename: 'grants.csv', columns: GRANT_CSV_COLUMNS },
      },
    );
  }

  @Get(':id')
  @Roles('founder', ...STAFF_ROLES)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const loaded = await this.handler.load(grantId(id));
    if (audienceOf(user) === 'founder') this.requireOwner(loaded.state, user);
    return this.respond(res, loaded, user);
  }

  @Post(':id/acceptance-challenge')
  @HttpCode(200)
  @Roles('founder')
  async acceptanceChallenge(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    validateBody(acceptanceChallengeBody, body);
    const { state } = await this.handler.load(grantId(id));
    this.requireOwner(state, user);
    requireAcceptable(state, user);
    const now = this.clock.now();
    const payoutAccount = payoutAccountAt(state, now);
    return this.proofs.issue({
      purpose: 'accept',
      grant: state,
      accountId: payoutAccount,
      currentAccount: payoutAccount,
      termsHash: termsHash(state, payoutAccount),
      now,
    });
  }

  @Post(':id/accept')
  @HttpCode(200)
  @Roles('founder')
  async accept(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expectedVersion = ifMatchVersion(match);
    const signed = validateBody(signedMessageBody, body);
    const { state } = await this.handler.load(grantId(id));
    const now = this.clock.now();
    this.requireOwner(state, user);
    requireAcceptable(state, user);
    // Checked before the nonce is spent: a proof by another account is refused as such.
    this.requireSigner(state, signed.accountId, now);
    const proof = await this.proofs.verify({ purpose: 'accept', grantId: state.id, signed, now });
    return this.run(res, user, state.id, expectedVersion, {
      type: 'AcceptGrant',
      data: {
        signerAccountId: signed.accountId,
        signerPublicKey: signed.publicKey,
        termsHash: proof.termsHash,
      },
      metadata: { now, actor: user },
    });
  }

  @Post(':id/payout-account-challenge')
  @HttpCode(200)
  @Roles('founder')
  async payoutAccountChallenge(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const { accountId } = validateBody(payoutAccountChallengeBody, body);
    const { state } = await this.handler.load(grantId(id));
    this.requireOwner(state, user);
    requirePayoutAccountChangeable(state, user);
    const now = this.clock.now();
    return this.proofs.issue({
      purpose: 'payout-account',
      grant: state,
      accountId,
      currentAccount: payoutAccountAt(state, now),
      termsHash: termsHash(state, accountId),
      now,
    });
  }

  @Post(':id/payout-account')
  @HttpCode(200)
  @Roles('founder')
  async requestPayoutAccountChange(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expectedVersion = ifMatchVersion(match);
    const signed = validateBody(signedMessageBody, body);
    const { state } = await this.handler.load(grantId(id));
    this.requireOwner(state, user);
    requirePayoutAccountChangeable(state, user);
    const now = this.clock.now();
    // The nonce was issued for this grant and the proposed account only: the proof is by it.
    await this.proofs.verify({ purpose: 'payout-account', grantId: state.id, signed, now });
    return this.run(res, user, state.id, expectedVersion, {
      type: 'RequestPayoutAccountChange',
      data: { payoutAccount: signed.accountId, signerPublicKey: signed.publicKey },
      metadata: { now, actor: user },
    });
  }

  @Post(':id/payout-account/approve')
  @HttpCode(200)
  @Roles('admin')
  async approvePayoutAccountChange(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expectedVersion = ifMatchVersion(match);
    const { payoutAccount } = validateBody(approvePayoutAccountBody, body);
    return this.run(res, user, grantId(id), expectedVersion, {
      type: 'ApprovePayoutAccountChange',
      data: { payoutAccount, cooldownHours: this.config.PAYOUT_ACCOUNT_COOLDOWN_HOURS },
      metadata: { now: this.clock.now(), actor: user },
    });
  }

  @Post(':id/kyc')
  @HttpCode(200)
  @Roles('admin')
  async kyc(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expectedVersion = ifMatchVersion(match);
    const { status, expiresAt } = validateBody(kycBody, body);
    return this.run(res, user, grantId(id), expectedVersion, {
      type: 'RecordKycStatus',
      data: { status, expiresAt: expiresAt ?? null },
      metadata: { now: this.clock.now(), actor: user },
    });
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('admin')
  async cancel(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expectedVersion = ifMatchVersion(match);
    const { reason } = validateBody(cancelBody, body);
    return this.run(res, user, grantId(id), expectedVersion, {
      type: 'CancelGrant',
      data: { reason },
      metadata: { now: this.clock.now(), actor: user },
    });
  }

  /**
   * The founder account the caller is: a NEAR account signed in through the founder issuer, never
   * a `sub` another issuer vouches for (a staff id may be spelled like a NEAR account).
   */
  private founderAccountOf(user: AuthUser): string {
    return user.issuer === this.config.AUTH_FOUNDER_ISSUER ? user.sub : ''; // '' owns nothing
  }

  /**
   * The caller is the grant's founder as (issuer, sub); checked here because the decider's actor
   * carries the sub only. Another founder (or anyone else) is told there is no such grant.
   */
  private requireOwner(state: Grant, user: AuthUser): void {
    if (!sameIdentity(user, { issuer: this.config.AUTH_FOUNDER_ISSUER, sub: state.founder })) {
      throw new GrantError('grant_not_found', 'no such grant');
    }
    requireOwner(state, user);
  }

  private requireSigner(state: Grant, accountId: string, now: Date): void {
    const payoutAccount = payoutAccountAt(state, now);
    if (accountId !== payoutAccount) {
      throw new GrantError(
        'signer_not_payout_account',
        `the terms must be signed by the payout account ${payoutAccount}`,
      );
    }
  }

  private async run(
    res: Response,
    user: AuthUser,
    id: string,
    expectedVersion: number | undefined,
    command: GrantCommand,
  ) {
    const result = await this.handler.execute(id, command, { expectedVersion });
    return this.respond(res, result, user);
  }

  private async respond(res: Response, loaded: LoadedGrant, user: AuthUser) {
    res.setHeader('etag', `"${loaded.version}"`);
    const progress = await this.overview.progress(loaded.state.id);
    return grantView(
      loaded.state,
      loaded.version,
      this.clock.now(),
      progress,
      this.assets,
      audienceOf(user),
    );
  }
}
