import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@lib/auth';
import { PlatformModule } from '@lib/platform';
import type { MilestonesConfig } from './config';
import { migrations } from './migrations';
import { MilestoneModule } from './milestone/milestone.module';

export const SERVICE = {
  name: 'milestones',
  schema: 'milestones',
} as const;

@Module({})
export class AppModule {
  static register(config: MilestonesConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({ ...SERVICE, config, migrations }),
        // Founders are (founder issuer, NEAR account): a staff token's `founder` claim is dropped,
        // so every founder here signed in with NEAR; ownership compares (issuer, sub).
        AuthModule.forConfig(config, { staffMayClaimFounder: false }),
        MilestoneModule,
      ],
    };
  }
}
