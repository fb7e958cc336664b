import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KeyPair, KeyPairSigner } from 'near-api-js';
import { TreasuryKeyError, TreasurySigner } from './treasury-signer';

describe('TreasurySigner', () => {
  const keyPair = KeyPair.fromRandom('ed25519');
  const secret = keyPair.toString();
  const dir = mkdtempSync(join(tmpdir(), 'treasury-signer-'));

  it('loads from a value and never shows the secret', () => {
    const signer = TreasurySigner.load({ accountId: 'treasury.test.near', secretKey: secret });
    expect(signer.publicKey).toBe(keyPair.getPublicKey().toString());
    const secretBody = secret.slice('ed25519:'.length);
    for (const shown of [
      String(signer),
      JSON.stringify(signer),
      JSON.stringify({ nested: signer }),
      inspect(signer, { depth: 10, showHidden: true }),
      inspect({ signer }, { depth: 10 }),
      Object.keys(signer).join(','),
    ]) {
      expect(shown).not.toContain(secretBody);
    }
    expect(JSON.parse(JSON.stringify(signer))).toEqual({
      accountId: 'treasury.test.near',
      publicKey: signer.publicKey,
    });
  });

  it('loads from a plain key file and from a near-cli credentials file', () => {
    const plain = join(dir, 'plain.key');
    writeFileSync(plain, `${secret}\n`);
    expect(
      TreasurySigner.load({ accountId: 'treasury.test.near', secretKeyFile: plain }).publicKey,
    ).toBe(keyPair.getPublicKey().toString());
    const creds = join(dir, 'creds.json');
    writeFileSync(
      creds,
      JSON.stringify({
        account_id: 'treasury.test.near',
        public_key: keyPair.getPublicKey().toString(),
        private_key: secret,
      }),
    );
    expect(
      TreasurySigner.load({ accountId: 'treasury.test.near', secretKeyFile: creds }).publicKey,
    ).toBe(keyPair.getPublicKey().toString());
    expect(() =>
      TreasurySigner.load({ accountId: 'other.test.near', secretKeyFile: creds }),
    ).toThrow(expect.objectContaining({ code: 'account_mismatch' }));
  });

  it('rejects missing, doubled or malformed keys without echoing them', () => {
    const expectCode = (fn: () => unknown, code: string) => {
      try {
        fn();
        throw new Error('expected a TreasuryKeyError');
      } catch (err) {
        expect(err).toBeInstanceOf(TreasuryKeyError);
        expect((err as TreasuryKeyError).code).toBe(code);
        expect((err as Error).message).not.toContain('not-a-key-secret');
      }
    };
    expectCode(() => TreasurySigner.load({ accountId: 'treasury.test.near' }), 'missing_key');
    expectCode(
      () =>
        TreasurySigner.load({
          accountId: 'treasury.test.near',
          secretKey: secret,
          secretKeyFile: '/x',
        }),
      'ambiguous_key',
    );
    expectCode(
      () =>
        TreasurySigner.load({
          accountId: 'treasury.test.near',
          secretKey: 'ed25519:not-a-key-secret',
        }),
      'invalid_key',
    );
    expectCode(
      () =>
        TreasurySigner.load({
          accountId: 'treasury.test.near',
          secretKeyFile: join(dir, 'missing'),
        }),
      'unreadable_key_file',
    );
    expectCode(
      () => TreasurySigner.load({ accountId: 'Bad', secretKey: secret }),
      'invalid_account',
    );
  });

  it('signs NEP-413 messages like near-api-js KeyPairSigner (it is a near-api-js Signer)', async () => {
    const signer = TreasurySigner.fromKeyPair('treasury.test.near', KeyPair.fromString(secret));
    const payload = { message: 'hi', recipient: 'app', nonce: new Uint8Array(32).fill(1) };
    const signed = await signer.signNep413Message('treasury.test.near', payload);
    expect(signed.publicKey.toString()).toBe(signer.publicKey);
    expect(signed.signature).toHaveLength(64);
    const reference = await new KeyPairSigner(keyPair).signNep413Message(
      'treasury.test.near',
      payload,
    );
    expect(Buffer.from(signed.signature)).toEqual(Buffer.from(reference.signature));
  });
});
