import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@lib/auth';
import { PlatformModule } from '@lib/platform';
import type { DisbursementsConfig } from './config';
import { DisbursementModule } from './disbursement/disbursement.module';
import { migrations } from './migrations';

export const SERVICE = {
  name: 'disbursements',
  schema: 'disbursements',
} as const;

@Module({})
export class AppModule {
  static register(config: DisbursementsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({ ...SERVICE, config, migrations }),
        // No founder acts here; a staff token's `founder` claim is dropped (founders are only
        // (founder issuer, NEAR account) identities, which the decider never sees as approvers).
        AuthModule.forConfig(config, { staffMayClaimFounder: false }),
        DisbursementModule,
      ],
    };
  }
}
