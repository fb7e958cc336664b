/**
 * Fresh development keys, made on the machine that installs the development overlay (nothing
 * committed): the treasury's NEAR key (`ed25519:<base58>`, the emulator funds the treasury with
 * it and near-settlement signs with it) and the founder token key (Ed25519, PKCS#8 PEM).
 *   node -r @swc-node/register deploy/k8s/overlays/development/dev-keys.ts <dir>
 * writes <dir>/treasury.key and <dir>/founder.pem (mode 0600); create-dev-secrets.sh calls it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyPair } from 'near-api-js';

export interface DevKeyFiles {
  treasuryKey: string;
  founderPem: string;
}

export function writeDevKeys(dir: string): DevKeyFiles {
  const files = { treasuryKey: join(dir, 'treasury.key'), founderPem: join(dir, 'founder.pem') };
  writeFileSync(files.treasuryKey, KeyPair.fromRandom('ed25519').toString(), { mode: 0o600 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(files.founderPem, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  return files;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: dev-keys.ts <dir>\n');
    process.exit(2);
  }
  writeDevKeys(dir);
}
