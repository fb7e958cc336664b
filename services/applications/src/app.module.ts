import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule, founderJwks, loadFounderSigningKey } from '@lib/auth';
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
    const founderKey = loadFounderSigningKey({
      pem: config.FOUNDER_SIGNING_KEY,
      file: config.FOUNDER_SIGNING_KEY_FILE,
      production: config.NODE_ENV === 'production',
    });
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({ ...SERVICE, config, migrations }),
        // This service signs founder tokens, so it verifies them with its own key, and every
        // founder here is one who signed in with NEAR (ownership is (founder issuer, account)).
        AuthModule.forConfig(config, {
          founder: { issuer: config.AUTH_FOUNDER_ISSUER, jwks: founderJwks(founderKey) },
          staffMayClaimFounder: false,
        }),
        SignInModule.register(founderKey),
        ApplicationModule,
      ],
    };
  }
}
