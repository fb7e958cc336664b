import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@lib/auth';
import { PlatformModule } from '@lib/platform';
import { ApplicationModule } from './application/application.module';
import type { ApplicationsConfig } from './config';
import { migrations } from './migrations';
import { SignInModule } from './signin/signin.module';

export const SERVICE = {
  name: 'applications',
  schema: 'applications',
} as const;

@Module({})
export class AppModule {
  static register(config: ApplicationsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({ ...SERVICE, config, migrations }),
        AuthModule.register({
          jwt: {
            hs256Secret: config.AUTH_JWT_SECRET,
            jwksUrl: config.AUTH_JWKS_URL,
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
          },
        }),
        SignInModule,
        ApplicationModule,
      ],
    };
  }
}
