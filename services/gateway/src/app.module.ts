import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@lib/platform';
import type { GatewayConfig } from './config';
import { ProxyModule } from './proxy/proxy.module';

export const SERVICE = {
  name: 'gateway',
} as const;

@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forService({ ...SERVICE, config }), ProxyModule],
    };
  }
}
