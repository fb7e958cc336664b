import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { founderJwks, loadFounderSigningKey } from '../founder-keys';
import {
  createJwtVerifier,
  DEV_TOKEN_AUDIENCE,
  DEV_TOKEN_ISSUER,
  FOUNDER_TOKEN_ISSUER,
} from '../jwt';

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
      issuer: DEV_TOKEN_ISSUER,
    });
  }, 30_000);

  it('fails with exit code 2 on unknown roles or a missing secret', async () => {
    await expect(mint(['--sub', 'x', '--roles', 'root'])).rejects.toMatchObject({ code: 2 });
    await expect(mint(['--sub', 'x', '--roles', 'admin'], {})).rejects.toMatchObject({ code: 2 });
  }, 30_000);

  it('mints a founder token with the founder key file, which a founder verifier accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'founder-key-'));
    const file = join(dir, 'founder.pem');
    try {
      const { stdout } = await mint(['--founder', '--sub', 'ada.testnet', '--ttl', '1h'], {
        FOUNDER_SIGNING_KEY_FILE: file,
      });
      const key = loadFounderSigningKey({ file }); // the file the CLI created
      const verifier = createJwtVerifier({
        issuer: DEV_TOKEN_ISSUER,
        audience: DEV_TOKEN_AUDIENCE,
        founder: { issuer: FOUNDER_TOKEN_ISSUER, jwks: founderJwks(key) },
      });
      await expect(verifier.verify(stdout.trim())).resolves.toEqual({
        sub: 'ada.testnet',
        roles: ['founder'],
        issuer: FOUNDER_TOKEN_ISSUER,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
