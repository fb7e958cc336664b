import { KeyPair, KeyPairSigner } from 'near-api-js';
import { createSignInChallenge, nep413PayloadHash } from './nep413';

describe('createSignInChallenge', () => {
  it('returns message, recipient, base64 nonce and expiry from the inputs', () => {
    const random32 = new Uint8Array(32).map((_, i) => i);
    const challenge = createSignInChallenge({
      recipient: 'incubator.foundation',
      accountId: 'alice.near',
      now: new Date('2026-01-01T00:00:00.000Z'),
      ttlMs: 5 * 60_000,
      random32,
    });
    expect(challenge).toEqual({
      message: expect.stringContaining('alice.near'),
      recipient: 'incubator.foundation',
      nonce: Buffer.from(random32).toString('base64'),
      expiresAt: new Date('2026-01-01T00:05:00.000Z'),
    });
    expect(Buffer.from(challenge.nonce, 'base64')).toHaveLength(32);
    expect(challenge.message).toContain('incubator.foundation');
    expect(challenge.message).toContain('2026-01-01T00:05:00.000Z');
  });

  it('rejects a short nonce, a bad account id and a bad ttl', () => {
    const base = {
      recipient: 'r',
      accountId: 'alice.near',
      now: new Date(0),
      ttlMs: 1000,
      random32: new Uint8Array(32),
    };
    expect(() => createSignInChallenge({ ...base, random32: new Uint8Array(31) })).toThrow(
      expect.objectContaining({ code: 'bad_nonce' }),
    );
    expect(() => createSignInChallenge({ ...base, accountId: 'Alice' })).toThrow(
      expect.objectContaining({ code: 'invalid_account_id' }),
    );
    expect(() => createSignInChallenge({ ...base, ttlMs: 0 })).toThrow(RangeError);
  });
});

describe('nep413PayloadHash', () => {
  it('is what near-api-js KeyPairSigner signs (with and without callbackUrl)', async () => {
    const keyPair = KeyPair.fromRandom('ed25519');
    const signer = new KeyPairSigner(keyPair);
    for (const callbackUrl of [undefined, 'https://app.example/cb']) {
      const payload = {
        message: 'héllo ✓',
        recipient: 'app.near',
        nonce: new Uint8Array(32).fill(9),
        callbackUrl,
      };
      const signed = await signer.signNep413Message('alice.near', payload);
      expect(keyPair.verify(nep413PayloadHash(payload), signed.signature)).toBe(true);
    }
  });
});
