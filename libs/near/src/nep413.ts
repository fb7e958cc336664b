import { createHash } from 'node:crypto';
import { PublicKey, type JsonRpcProvider } from 'near-api-js';
import { isValidNearAccountId } from './account-id';
import { viewAccessKey } from './views';

/** Why a NEP-413 sign-in was rejected; `code` is stable. */
export type Nep413ErrorCode =
  | 'invalid_account_id'
  | 'bad_public_key'
  | 'bad_nonce'
  | 'bad_signature'
  | 'recipient_mismatch'
  | 'message_mismatch'
  | 'callback_url_mismatch'
  | 'key_not_found'
  | 'not_full_access_key';

export class Nep413Error extends Error {
  constructor(
    readonly code: Nep413ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'Nep413Error';
  }
}

/** 2^31 + 413, little-endian: the NEP-413 tag that keeps messages from parsing as transactions. */
const NEP413_TAG = Buffer.from([0x9d, 0x01, 0x00, 0x80]);

function borshString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** sha256(tag ‖ borsh({message, nonce[32], recipient, callbackUrl?})) — the bytes a wallet signs. */
export function nep413PayloadHash(payload: {
  message: string;
  nonce: Uint8Array;
  recipient: string;
  callbackUrl?: string;
}): Uint8Array {
  if (payload.nonce.length !== 32) throw new Nep413Error('bad_nonce', 'nonce must be 32 bytes');
  const callback =
    payload.callbackUrl === undefined
      ? Buffer.from([0])
      : Buffer.concat([Buffer.from([1]), borshString(payload.callbackUrl)]);
  const body = Buffer.concat([
    NEP413_TAG,
    borshString(payload.message),
    Buffer.from(payload.nonce),
    borshString(payload.recipient),
    callback,
  ]);
  return new Uint8Array(createHash('sha256').update(body).digest());
}

function decodeBase64(
  value: string,
  expectedLength: number,
  code: Nep413ErrorCode,
  what: string,
): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new Nep413Error(code, `${what} is not base64`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== expectedLength) {
    throw new Nep413Error(code, `${what} must be ${expectedLength} bytes, got ${bytes.length}`);
  }
  return new Uint8Array(bytes);
}

/**
 * Verifies a NEP-413 sign-in: recipient and message are the ones the server asked for, the
 * ed25519 signature over the payload is valid for `publicKey`, and `publicKey` is a FULL-ACCESS
 * key of `accountId` at `final` (RPC `view_access_key`). Throws Nep413Error; resolves on success.
 * Nonce issuance, single use and freshness are the caller's (the nonce store's) job.
 */
export async function verifyNep413SignIn(input: {
  provider: JsonRpcProvider;
  accountId: string;
  publicKey: string;
  /** base64 of the 64-byte ed25519 signature, as wallets return it. */
  signature: string;
  message: string;
  recipient: string;
  /** base64 of the 32-byte nonce. */
  nonce: string;
  callbackUrl?: string;
  expected: { recipient: string; message: string; callbackUrl?: string };
}): Promise<void> {
  if (!isValidNearAccountId(input.accountId)) {
    throw new Nep413Error('invalid_account_id', 'not a valid NEAR account id');
  }
  if (input.recipient !== input.expected.recipient) {
    throw new Nep413Error('recipient_mismatch', 'the message was signed for another recipient');
  }
  if (input.message !== input.expected.message) {
    throw new Nep413Error('message_mismatch', 'the signed message is not the one issued');
  }
  if (input.callbackUrl !== input.expected.callbackUrl) {
    throw new Nep413Error('callback_url_mismatch', 'the signed callbackUrl is not the one issued');
  }
  const nonce = decodeBase64(input.nonce, 32, 'bad_nonce', 'nonce');
  const signature = decodeBase64(input.signature, 64, 'bad_signature', 'signature');
  if (!input.publicKey.startsWith('ed25519:')) {
    throw new Nep413Error('bad_public_key', 'only ed25519 keys are accepted');
  }
  let publicKey: PublicKey;
  try {
    publicKey = PublicKey.fromString(input.publicKey);
  } catch {
    throw new Nep413Error('bad_public_key', 'not an ed25519:<base58> public key');
  }
  const hash = nep413PayloadHash({
    message: input.message,
    nonce,
    recipient: input.recipient,
    callbackUrl: input.callbackUrl,
  });
  let valid = false;
  try {
    valid = publicKey.verify(hash, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new Nep413Error('bad_signature', 'signature does not verify');

  const key = await viewAccessKey(input.provider, input.accountId, publicKey, 'final');
  if (!key)
    throw new Nep413Error('key_not_found', `the key is not an access key of ${input.accountId}`);
  if (key.permission !== 'FullAccess') {
    throw new Nep413Error(
      'not_full_access_key',
      'the key is a function-call key, not a full-access key',
    );
  }
}

/** What a client must sign to sign in. */
export interface SignInChallenge {
  message: string;
  recipient: string;
  /** base64 of 32 random bytes; the caller stores it and accepts it once, before `expiresAt`. */
  nonce: string;
  expiresAt: Date;
}

/**
 * Builds a sign-in challenge from caller-supplied time and randomness (pure, so it is testable).
 * The message names the account, the recipient and the expiry, so a wallet shows the user what
 * they sign in to.
 */
export function createSignInChallenge(input: {
  recipient: string;
  accountId: string;
  now: Date;
  ttlMs: number;
  random32: Uint8Array;
}): SignInChallenge {
  if (!isValidNearAccountId(input.accountId)) {
    throw new Nep413Error('invalid_account_id', 'not a valid NEAR account id');
  }
  if (input.random32.length !== 32) throw new Nep413Error('bad_nonce', 'random32 must be 32 bytes');
  if (!Number.isInteger(input.ttlMs) || input.ttlMs <= 0)
    throw new RangeError('ttlMs must be a positive integer');
  const expiresAt = new Date(input.now.getTime() + input.ttlMs);
  return {
    message: `Sign in to ${input.recipient} as ${input.accountId}. This request expires at ${expiresAt.toISOString()}.`,
    recipient: input.recipient,
    nonce: Buffer.from(input.random32).toString('base64'),
    expiresAt,
  };
}
