import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { FOUNDER_TOKEN_ISSUER, signAccessToken } from './jwt';

/** The key the applications service signs founder session tokens with (Ed25519, EdDSA). */
export interface FounderSigningKey {
  privateKey: KeyObject;
  /** RFC 7638 thumbprint of the public key: the `kid` of tokens and of the JWKS entry. */
  kid: string;
  /** The public half as published at `/.well-known/jwks.json`. */
  publicJwk: JWK;
}

export interface FounderKeySource {
  /** PKCS#8 PEM of an Ed25519 private key, inline (a secret from the orchestrator). */
  pem?: string;
  /** Path of a file holding that PEM (e.g. `/run/secrets/founder-signing-key.pem`). */
  file?: string;
  /** Production: one of `pem`/`file` is required and the file must exist. */
  production?: boolean;
}

/**
 * Loads the founder signing key from `pem` or `file`. Outside production a missing file is
 * created with a new key (so `npm run token:mint -- --founder` and the service share it), and
 * with neither set a key is generated for this process only.
 */
export function loadFounderSigningKey(source: FounderKeySource): FounderSigningKey {
  if (source.pem) return founderKeyOf(createPrivateKey(source.pem));
  if (source.file) {
    if (existsSync(source.file)) return founderKeyOf(createPrivateKey(readFileSync(source.file)));
    if (source.production) throw new Error(`founder signing key file ${source.file} is missing`);
    const generated = generateFounderKey();
    mkdirSync(dirname(source.file), { recursive: true });
    writeFileSync(
      source.file,
      generated.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      { mode: 0o600, flag: 'wx' },
    );
    return generated;
  }
  if (source.production) {
    throw new Error('a founder signing key (FOUNDER_SIGNING_KEY_FILE) is required in production');
  }
  return generateFounderKey();
}

/** A fresh Ed25519 key (development and tests). */
export function generateFounderKey(): FounderSigningKey {
  return founderKeyOf(generateKeyPairSync('ed25519').privateKey);
}

function founderKeyOf(privateKey: KeyObject): FounderSigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error('the founder signing key must be an Ed25519 private key (PKCS#8 PEM)');
  }
  const { kty, crv, x } = createPublicKey(privateKey).export({ format: 'jwk' });
  // RFC 7638: members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x })).digest('base64url');
  return { privateKey, kid, publicJwk: { kty, crv, x, kid, alg: 'EdDSA', use: 'sig' } };
}

/** The JWKS document other services verify founder tokens with. */
export function founderJwks(key: FounderSigningKey): { keys: JWK[] } {
  return { keys: [key.publicJwk] };
}

/** Signs a founder session token: `sub` = NEAR account, roles exactly `['founder']`. */
export function signFounderToken(
  claims: { sub: string; ttl: number | string },
  key: FounderSigningKey,
  options: { issuer?: string; audience?: string; now?: Date } = {},
): Promise<string> {
  return signAccessToken(
    { sub: claims.sub, roles: ['founder'], ttl: claims.ttl },
    { alg: 'EdDSA', privateKey: key.privateKey, kid: key.kid },
    { ...options, issuer: options.issuer ?? FOUNDER_TOKEN_ISSUER },
  );
}
