import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@lib/auth';
import { PlatformModule } from '@lib/platform';
import type { NearSettlementConfig } from './config';
import { migrations } from './migrations';
import { SettlementModule } from './settlement.module';

export const SERVICE = {
  name: 'near-settlement',
  schema: 'near_settlement',
} as const;

@Module({})
export class AppModule {
  static register(config: NearSettlementConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({ ...SERVICE, config, migrations }),
        AuthModule.forConfig(config),
        SettlementModule,
      ],
    };
  }
}
