// Mints a development token:
//   node -r @swc-node/register libs/auth/src/cli/mint-token.ts --sub rev-alice --roles reviewer [--name Alice] [--ttl 8h]
// The secret comes from AUTH_JWT_SECRET; issuer/audience from AUTH_JWT_ISSUER/AUTH_JWT_AUDIENCE
// (defaults match DEV_TOKEN_ISSUER/DEV_TOKEN_AUDIENCE). Prints the token on stdout.
// A founder token (as NEAR sign-in would issue it) is signed with the applications service's key:
//   … mint-token.ts --founder --sub ada.testnet   (key from FOUNDER_SIGNING_KEY_FILE, created if
// missing: start applications with the same FOUNDER_SIGNING_KEY_FILE so it accepts the token).
import { parseArgs } from 'node:util';
import { loadFounderSigningKey, signFounderToken } from '../founder-keys';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, FOUNDER_TOKEN_ISSUER, signDevToken } from '../jwt';
import { isRole, ROLES } from '../roles';

const USAGE =
  'usage: mint-token --sub <sub> --roles <role[,role]> [--name <name>] [--ttl 8h]\n' +
  '       mint-token --founder --sub <near-account> [--ttl 1h]\n' +
  `roles: ${ROLES.join(', ')}; secret from AUTH_JWT_SECRET; founder key from FOUNDER_SIGNING_KEY_FILE`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      roles: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string', default: '8h' },
      founder: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.founder) {
    const file = process.env.FOUNDER_SIGNING_KEY_FILE;
    if (!file) throw new Error('FOUNDER_SIGNING_KEY_FILE is not set');
    if (!values.sub) throw new Error('--sub is required');
    const token = await signFounderToken(
      { sub: values.sub, ttl: values.ttl },
      loadFounderSigningKey({ file }),
      {
        issuer: process.env.AUTH_FOUNDER_ISSUER ?? FOUNDER_TOKEN_ISSUER,
        audience: process.env.AUTH_JWT_AUDIENCE ?? process.env.AUTH_AUDIENCE ?? DEV_TOKEN_AUDIENCE,
      },
    );
    process.stdout.write(`${token}\n`);
    return;
  }
  const secret = process.env.AUTH_JWT_SECRET;
  if (!secret) throw new Error('AUTH_JWT_SECRET is not set');
  if (!values.sub) throw new Error('--sub is required');
  const roles = (values.roles ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !isRole(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw new Error(
      `--roles must list some of: ${ROLES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  const token = await signDevToken(
    { sub: values.sub, roles: roles.filter(isRole), name: values.name, ttl: values.ttl },
    secret,
    {
      issuer: process.env.AUTH_JWT_ISSUER ?? DEV_TOKEN_ISSUER,
      audience: process.env.AUTH_JWT_AUDIENCE ?? DEV_TOKEN_AUDIENCE,
    },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exitCode = 2;
});
