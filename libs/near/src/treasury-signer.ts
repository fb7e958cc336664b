import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { KeyPair, PublicKey, Signer, type KeyPairString } from 'near-api-js';
import { isValidNearAccountId } from './account-id';

/** Raised when the treasury key cannot be loaded; never contains the secret. */
export class TreasuryKeyError extends Error {
  constructor(
    readonly code:
      | 'missing_key'
      | 'ambiguous_key'
      | 'unreadable_key_file'
      | 'invalid_key'
      | 'account_mismatch'
      | 'invalid_account',
    message: string,
  ) {
    super(message);
    this.name = 'TreasuryKeyError';
  }
}

/** What a near-cli credentials file (`~/.near-credentials/<net>/<account>.json`) holds. */
interface CredentialsFile {
  account_id?: string;
  public_key?: string;
  private_key?: string;
  secret_key?: string;
}

function parseKeyPair(encoded: string, source: string): KeyPair {
  const trimmed = encoded.trim();
  if (!/^ed25519:[1-9A-HJ-NP-Za-km-z]+$/.test(trimmed)) {
    throw new TreasuryKeyError('invalid_key', `${source} is not an ed25519:<base58> secret key`);
  }
  try {
    return KeyPair.fromString(trimmed as KeyPairString);
  } catch {
    throw new TreasuryKeyError('invalid_key', `${source} is not a valid ed25519 secret key`);
  }
}

/**
 * The treasury's signing key. The secret lives only in a private field: toString, toJSON and
 * util.inspect show the account and public key, and no method returns the secret. It is a
 * near-api-js `Signer`, so `signTransaction` and `signNep413Message` work as usual.
 */
export class TreasurySigner extends Signer {
  readonly #keyPair: KeyPair;
  /** The account the key belongs to, e.g. `treasury.near`. */
  readonly accountId: string;
  /** `ed25519:<base58>` public key. */
  readonly publicKey: string;

  private constructor(accountId: string, keyPair: KeyPair) {
    super();
    if (!isValidNearAccountId(accountId)) {
      throw new TreasuryKeyError(
        'invalid_account',
        `invalid treasury account id ${JSON.stringify(accountId)}`,
      );
    }
    this.#keyPair = keyPair;
    this.accountId = accountId;
    this.publicKey = keyPair.getPublicKey().toString();
  }

  /**
   * Loads the key from exactly one of `secretKey` (an `ed25519:…` string, e.g. from an env value)
   * or `secretKeyFile` (a file holding that string, or a near-cli credentials JSON).
   */
  static load(options: {
    accountId: string;
    secretKey?: string;
    secretKeyFile?: string;
  }): TreasurySigner {
    const { accountId, secretKey, secretKeyFile } = options;
    if (secretKey && secretKeyFile) {
      throw new TreasuryKeyError(
        'ambiguous_key',
        'give the treasury key as a value or as a file, not both',
      );
    }
    if (secretKey)
      return new TreasurySigner(accountId, parseKeyPair(secretKey, 'the treasury secret key'));
    if (!secretKeyFile)
      throw new TreasuryKeyError('missing_key', 'no treasury secret key configured');
    let raw: string;
    try {
      raw = readFileSync(secretKeyFile, 'utf8');
    } catch {
      throw new TreasuryKeyError(
        'unreadable_key_file',
        `cannot read treasury key file ${secretKeyFile}`,
      );
    }
    const trimmed = raw.trim();
    if (!trimmed.startsWith('{')) {
      return new TreasurySigner(accountId, parseKeyPair(trimmed, `key file ${secretKeyFile}`));
    }
    let credentials: CredentialsFile;
    try {
      credentials = JSON.parse(trimmed) as CredentialsFile;
    } catch {
      throw new TreasuryKeyError('invalid_key', `key file ${secretKeyFile} is not valid JSON`);
    }
    if (credentials.account_id && credentials.account_id !== accountId) {
      throw new TreasuryKeyError(
        'account_mismatch',
        `key file ${secretKeyFile} is for ${credentials.account_id}, not ${accountId}`,
      );
    }
    const secret = credentials.private_key ?? credentials.secret_key;
    if (!secret)
      throw new TreasuryKeyError('invalid_key', `key file ${secretKeyFile} has no private_key`);
    const signer = new TreasurySigner(accountId, parseKeyPair(secret, `key file ${secretKeyFile}`));
    if (credentials.public_key && credentials.public_key !== signer.publicKey) {
      throw new TreasuryKeyError(
        'invalid_key',
        `key file ${secretKeyFile}: public_key does not match private_key`,
      );
    }
    return signer;
  }

  /** Wraps an existing key pair (tests, KMS adapters that already hold a KeyPair). */
  static fromKeyPair(accountId: string, keyPair: KeyPair): TreasurySigner {
    return new TreasurySigner(accountId, keyPair);
  }

  override async getPublicKey(): Promise<PublicKey> {
    return PublicKey.fromString(this.publicKey);
  }

  protected override async signBytes(bytes: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(this.#keyPair.sign(bytes).signature);
  }

  override toString(): string {
    return `TreasurySigner(${this.accountId}, ${this.publicKey})`;
  }

  toJSON(): { accountId: string; publicKey: string } {
    return { accountId: this.accountId, publicKey: this.publicKey };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
