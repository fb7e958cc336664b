import { z } from 'zod';
import { ConfigError, KNOWN_DEFAULT_SECRETS, parseConfig, portVariable } from './config';

describe('parseConfig', () => {
  it('applies defaults and splits the broker list', () => {
    const config = parseConfig({ PORT: portVariable(3001) }, { KAFKA_BROKERS: 'a:1, b:2' });
    expect(config.PORT).toBe(3001);
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/incubator');
  });

  it('names every missing or invalid variable', () => {
    const parse = () =>
      parseConfig(
        { PORT: portVariable(3001), AUTH_JWT_SECRET: z.string().min(32) },
        { PORT: 'eighty', KAFKA_BROKERS: 'no-port' },
      );
    expect(parse).toThrow(ConfigError);
    try {
      parse();
    } catch (error) {
      const names = (error as ConfigError).problems.map((p) => p.variable).sort();
      expect(names).toEqual(['AUTH_JWT_SECRET', 'KAFKA_BROKERS.0', 'PORT']);
      expect((error as Error).message).toContain('AUTH_JWT_SECRET');
    }
  });
});

describe('production guards (NODE_ENV=production)', () => {
  const shape = {
    AUTH_JWT_SECRET: z.string().optional(),
    AUTH_JWKS_URL: z.string().url().optional(),
    AUTH_ISSUER: z.string().default('incubator-dev'),
    AUTH_FOUNDER_JWKS_URL: z.string().url().default('https://applications.internal/jwks.json'),
    NEAR_NETWORK: z.enum(['local', 'testnet', 'mainnet']).default('local'),
    NEAR_RPC_URL: z.string().url().optional(),
  };
  const good = {
    NODE_ENV: 'production',
    AUTH_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json',
    NEAR_NETWORK: 'mainnet',
  };
  const refused = (env: Record<string, string>) => {
    try {
      parseConfig(shape, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('the configuration was accepted');
  };

  it('accepts a production configuration without development settings', () => {
    expect(parseConfig(shape, good).NEAR_NETWORK).toBe('mainnet');
  });

  it.each([
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'a-real-looking-secret-0123456789-abcdefgh' }, /HS256/],
    [
      'AUTH_JWT_SECRET',
      { AUTH_JWT_SECRET: 'local-development-secret-change-me-0123456789' },
      /known default secret/,
    ],
    ['NEAR_NETWORK', { NEAR_NETWORK: 'local' }, /emulator/],
    ['NEAR_RPC_URL', { NEAR_RPC_URL: 'http://rpc.example.org' }, /https/],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'http://idp.example.org/jwks.json' }, /https/],
    ['AUTH_FOUNDER_JWKS_URL', { AUTH_FOUNDER_JWKS_URL: 'http://applications:3001/j' }, /https/],
  ])('refuses %s in %j', (variable, env, reason) => {
    const problems = refused({ ...good, ...env });
    const problem = problems.find((p) => p.variable === variable);
    expect(problem?.message).toMatch(reason);
    expect(problem?.message).toContain('NODE_ENV=production');
  });

  it('requires the identity provider JWKS where staff tokens are verified', () => {
    const { AUTH_JWKS_URL: _jwks, ...withoutJwks } = good;
    expect(refused(withoutJwks).map((p) => p.variable)).toContain('AUTH_JWKS_URL');
  });

  it('leaves development and test alone', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(() =>
        parseConfig(shape, { NODE_ENV, AUTH_JWT_SECRET: KNOWN_DEFAULT_SECRETS[0] }),
      ).not.toThrow();
    }
  });
});
