import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@lib/platform';
import type { GatewayConfig } from './config';
import { OpenApiModule } from './openapi/openapi.module';
import { ProxyModule } from './proxy/proxy.module';

export const SERVICE = {
  name: 'gateway',
} as const;

@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forService({ ...SERVICE, config }), OpenApiModule, ProxyModule],
    };
  }
}
