import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { PgSignInChallengeStore } from '@lib/auth';
import { createNearProvider, resolveNearNetwork } from '@lib/near';
import { PG_POOL, SERVICE_CONFIG, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import type { ApplicationsConfig } from '../config';
import { NEAR_PROVIDER, SIGNIN_CHALLENGE_STORE, SignInController } from './signin.controller';

@Module({
  controllers: [SignInController],
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
export class SignInModule {}
