import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@lib/auth';
import { PlatformModule } from '@lib/platform';
import type { Clock } from './clock';
import type { GrantsConfig } from './config';
import { GrantModule } from './grant/grant.module';
import { migrations } from './migrations';

export const SERVICE = {
  name: 'grants',
  schema: 'grants',
} as const;

@Module({})
export class AppModule {
  /** `options.clock` replaces the system clock (tests move it past the payout-account cool-down). */
  static register(config: GrantsConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({ ...SERVICE, config, migrations }),
        // Founders are who signed in with NEAR (the founder issuer): a staff token's `founder`
        // claim is dropped, so owning a grant by `sub` means owning that NEAR identity.
        AuthModule.forConfig(config, { staffMayClaimFounder: false }),
        GrantModule.register(options),
      ],
    };
  }
}
