import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('a service with bad configuration stops at start and names the variable', () => {
  it.each([
    ['grants', { PORT: 'eighty' }, 'PORT'],
    ['applications', { AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET'],
    ['milestones', { KAFKA_BROKERS: 'no-port-here' }, 'KAFKA_BROKERS'],
  ])('%s with %j', (service, env, variable) => {
    const result = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', join(root, 'services', service, 'src', 'main.ts')],
      { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(variable);
    expect(result.stderr).toContain('invalid configuration');
  });
});
