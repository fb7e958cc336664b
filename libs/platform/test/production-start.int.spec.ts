import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

/** A production environment that is fine, so each case below changes exactly one thing. */
const production = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  AUTH_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json',
  AUTH_FOUNDER_JWKS_URL: 'https://applications.example.org/.well-known/jwks.json',
  NEAR_NETWORK: 'testnet',
  FOUNDER_SIGNING_KEY_FILE: '/run/secrets/founder-signing-key.pem',
};

function start(service: string, env: Record<string, string | undefined>) {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...production, ...env })) {
    if (value !== undefined) merged[name] = value;
  }
  return spawnSync(
    process.execPath,
    ['-r', '@swc-node/register', join(root, 'services', service, 'src', 'main.ts')],
    { cwd: root, env: merged, encoding: 'utf8', timeout: 60_000 },
  );
}

describe('NODE_ENV=production refuses development settings at start, naming the reason', () => {
  it.each([
    [
      'applications',
      { AUTH_JWT_SECRET: 'local-development-secret-change-me-0123456789' },
      'AUTH_JWT_SECRET',
      'known default secret',
    ],
    [
      'applications',
      { AUTH_JWT_SECRET: 'a-secret-nobody-has-seen-0123456789-abcdef' },
      'AUTH_JWT_SECRET',
      'HS256',
    ],
    ['applications', { NEAR_NETWORK: 'local' }, 'NEAR_NETWORK', 'emulator'],
    ['applications', { NEAR_NETWORK: undefined }, 'NEAR_NETWORK', 'emulator'],
    [
      'applications',
      { AUTH_JWKS_URL: 'http://idp.example.org/jwks.json' },
      'AUTH_JWKS_URL',
      'https',
    ],
    ['applications', { NEAR_RPC_URL: 'http://rpc.example.org' }, 'NEAR_RPC_URL', 'https'],
    [
      'applications',
      { FOUNDER_SIGNING_KEY_FILE: undefined },
      'FOUNDER_SIGNING_KEY_FILE',
      'required',
    ],
    [
      'grants',
      { AUTH_FOUNDER_JWKS_URL: 'http://applications:3001/.well-known/jwks.json' },
      'AUTH_FOUNDER_JWKS_URL',
      'https',
    ],
  ])('%s with %j refuses %s', (service, env, variable, reason) => {
    const result = start(service, env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid configuration');
    expect(result.stderr).toContain(variable);
    expect(result.stderr).toContain(reason);
  });
});
