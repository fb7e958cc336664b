import { z } from 'zod';
import { ConfigError, parseConfig, portVariable } from './config';

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
