import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@lib/platform';
import type { ApplicationsConfig } from './config';
import { migrations } from './migrations';

export const SERVICE = {
  name: 'applications',
  schema: 'applications',
} as const;

@Module({})
export class AppModule {
  static register(config: ApplicationsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forService({ ...SERVICE, config, migrations })],
    };
  }
}
