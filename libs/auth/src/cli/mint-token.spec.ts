import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createJwtVerifier, DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from '../jwt';

const run = promisify(execFile);
const root = join(__dirname, '../../../..');
const secret = 'cli-test-secret-that-is-long-enough-00000';

function mint(args: string[], env: Record<string, string> = { AUTH_JWT_SECRET: secret }) {
  return run(
    process.execPath,
    ['-r', '@swc-node/register', 'libs/auth/src/cli/mint-token.ts', ...args],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
    },
  );
}

describe('mint-token CLI', () => {
  it('prints a token the verifier accepts', async () => {
    const { stdout } = await mint([
      '--sub',
      'rev-alice',
      '--roles',
      'reviewer,admin',
      '--name',
      'Alice',
      '--ttl',
      '1h',
    ]);
    const verifier = createJwtVerifier({
      hs256Secret: secret,
      issuer: DEV_TOKEN_ISSUER,
      audience: DEV_TOKEN_AUDIENCE,
    });
    await expect(verifier.verify(stdout.trim())).resolves.toEqual({
      sub: 'rev-alice',
      roles: ['reviewer', 'admin'],
      name: 'Alice',
    });
  }, 30_000);

  it('fails with exit code 2 on unknown roles or a missing secret', async () => {
    await expect(mint(['--sub', 'x', '--roles', 'root'])).rejects.toMatchObject({ code: 2 });
    await expect(mint(['--sub', 'x', '--roles', 'admin'], {})).rejects.toMatchObject({ code: 2 });
  }, 30_000);
});
