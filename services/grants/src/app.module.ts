import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@lib/platform';
import type { GrantsConfig } from './config';
import { migrations } from './migrations';

export const SERVICE = {
  name: 'grants',
  schema: 'grants',
} as const;

@Module({})
export class AppModule {
  static register(config: GrantsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forService({ ...SERVICE, config, migrations })],
    };
  }
}
