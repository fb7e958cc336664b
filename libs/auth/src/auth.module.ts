import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard, JWT_VERIFIER } from './auth.guard';
import { type AuthConfig, jwtOptionsFromConfig } from './auth.config';
import { createJwtVerifier, type JwtOptions } from './jwt';

export interface AuthModuleOptions {
  jwt: JwtOptions;
  /** Register AuthGuard as a global guard (APP_GUARD). Default true: routes opt out with @Public(). */
  globalGuard?: boolean;
}

/** JWT authentication for a service or the gateway: `AuthModule.register({ jwt: { … } })`. */
@Module({})
export class AuthModule {
  static register(options: AuthModuleOptions): DynamicModule {
    return AuthModule.build(
      [{ provide: JWT_VERIFIER, useValue: createJwtVerifier(options.jwt) }],
      options,
    );
  }

  /**
   * JWT authentication configured from a service config that spread `authConfigShape`: staff
   * tokens (HS256 outside production, the IdP JWKS) and founder tokens (the applications JWKS).
   * `overrides` adjust the derived options (the applications service passes its own founder keys).
   */
  static forConfig(config: AuthConfig, overrides: Partial<JwtOptions> = {}): DynamicModule {
    return AuthModule.register({ jwt: { ...jwtOptionsFromConfig(config), ...overrides } });
  }

  /** Same as register, with options from DI (e.g. the parsed service config). */
  static registerAsync(options: {
    imports?: DynamicModule['imports'];
    inject?: (string | symbol | (new (...args: never[]) => unknown))[];
    useFactory: (...args: never[]) => AuthModuleOptions['jwt'] | Promise<AuthModuleOptions['jwt']>;
    globalGuard?: boolean;
  }): DynamicModule {
    const verifier: Provider = {
      provide: JWT_VERIFIER,
      inject: options.inject ?? [],
      useFactory: async (...args: never[]) => createJwtVerifier(await options.useFactory(...args)),
    };
    return { ...AuthModule.build([verifier], options), imports: options.imports ?? [] };
  }

  private static build(providers: Provider[], options: { globalGuard?: boolean }): DynamicModule {
    const guard: Provider[] =
      options.globalGuard === false ? [] : [{ provide: APP_GUARD, useExisting: AuthGuard }];
    return {
      module: AuthModule,
      global: true,
      providers: [...providers, AuthGuard, ...guard],
      exports: [JWT_VERIFIER, AuthGuard],
    };
  }
}
