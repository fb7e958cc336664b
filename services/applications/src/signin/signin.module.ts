import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Pool } from 'pg';
import {
  type FounderSigningKey,
  PgSignInChallengeStore,
  type SignInChallengeStore,
} from '@lib/auth';
import { createNearProvider, resolveNearNetwork } from '@lib/near';
import { PG_POOL, SERVICE_CONFIG, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import type { ApplicationsConfig } from '../config';
import {
  FOUNDER_SIGNING_KEY,
  JwksController,
  NEAR_PROVIDER,
  SIGNIN_CHALLENGE_STORE,
  SignInController,
} from './signin.controller';

@Module({
  controllers: [SignInController, JwksController],
  providers: [
    {
      provide: SIGNIN_CHALLENGE_STORE,
      inject: [PG_POOL, SERVICE_CONTEXT],
      useFactory: (pool: Pool, service: ServiceContext) =>
        new PgSignInChallengeStore(pool, service.schema ?? 'applications'),
    },
    {
      provide: NEAR_PROVIDER,
      inject: [SERVICE_CONFIG],
      useFactory: (config: ApplicationsConfig) =>
        createNearProvider({ url: resolveNearNetwork(config).rpcUrl }),
    },
  ],
})
export class SignInModule implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private readonly logger = new Logger('SignIn');

  constructor(@Inject(SIGNIN_CHALLENGE_STORE) private readonly challenges: SignInChallengeStore) {}

  /** Sign-in with the key founder tokens are signed with (also published as the JWKS). */
  static register(founderKey: FounderSigningKey): DynamicModule {
    return {
      module: SignInModule,
      providers: [{ provide: FOUNDER_SIGNING_KEY, useValue: founderKey }],
    };
  }

  /** Expired challenges are useless (consume refuses them); drop them so the table stays small. */
  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.challenges
        .purgeExpired(new Date(Date.now() - 3600_000))
        .catch((error: unknown) =>
          this.logger.warn(`purging expired challenges failed: ${String(error)}`),
        );
    }, PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}

const PURGE_INTERVAL_MS = 10 * 60_000;
