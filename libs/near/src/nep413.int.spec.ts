import { randomBytes } from 'node:crypto';
import { KeyPair, KeyPairSigner } from 'near-api-js';
import { verifyMessage } from 'near-api-js/nep413';
import { startNearEmulator, type NearEmulator } from '@lib/testing';
import { createNearProvider, createSignInChallenge, Nep413Error, verifyNep413SignIn } from '.';

const RECIPIENT = 'incubator.foundation';
let seq = 0;
const fresh = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${seq++}.test.near`;

describe('verifyNep413SignIn against the emulator', () => {
  let emulator: NearEmulator;
  let provider: ReturnType<typeof createNearProvider>;

  beforeAll(async () => {
    emulator = await startNearEmulator();
    provider = createNearProvider({ url: emulator.url });
  });
  afterAll(() => emulator.close());

  /** A founder account whose key is registered through sandbox_patch_state over HTTP. */
  async function founder(permission: unknown = 'FullAccess') {
    const accountId = fresh('founder');
    const keyPair = KeyPair.fromRandom('ed25519');
    await provider.sendJsonRpc(
      'sandbox_patch_state' as never,
      {
        records: [
          {
            Account: {
              account_id: accountId,
              account: {
                amount: '1000000000000000000000000',
                locked: '0',
                code_hash: '11111111111111111111111111111111',
                storage_usage: 182,
              },
            },
          },
          {
            AccessKey: {
              account_id: accountId,
              public_key: keyPair.getPublicKey().toString(),
              access_key: { nonce: 0, permission },
            },
          },
        ],
      } as never,
    );
    return { accountId, keyPair, signer: new KeyPairSigner(keyPair) };
  }

  async function signIn(who: Awaited<ReturnType<typeof founder>>, recipient = RECIPIENT) {
    const challenge = createSignInChallenge({
      recipient: RECIPIENT,
      accountId: who.accountId,
      now: new Date(),
      ttlMs: 300_000,
      random32: randomBytes(32),
    });
    const nonce = Buffer.from(challenge.nonce, 'base64');
    const signed = await who.signer.signNep413Message(who.accountId, {
      message: challenge.message,
      recipient,
      nonce,
    });
    return {
      challenge,
      input: {
        provider,
        accountId: who.accountId,
        publicKey: signed.publicKey.toString(),
        signature: Buffer.from(signed.signature).toString('base64'),
        message: challenge.message,
        recipient,
        nonce: challenge.nonce,
        expected: { recipient: RECIPIENT, message: challenge.message },
      },
    };
  }

  const rejected = async (promise: Promise<void>, code: string) => {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Nep413Error);
    expect((err as Nep413Error).code).toBe(code);
  };

  it('accepts a message signed by a full-access key of the account (and agrees with near-api-js verifyMessage)', async () => {
    const alice = await founder();
    const { input } = await signIn(alice);
    await expect(verifyNep413SignIn(input)).resolves.toBeUndefined();
    await expect(
      verifyMessage({
        signerAccountId: alice.accountId,
        signerPublicKey: input.publicKey,
        payload: {
          message: input.message,
          recipient: input.recipient,
          nonce: Buffer.from(input.nonce, 'base64'),
        },
        signature: Buffer.from(input.signature, 'base64'),
        provider,
      }),
    ).resolves.toBeUndefined();
  });

  it('rejects the wrong account (key belongs to someone else)', async () => {
    const alice = await founder();
    const bob = await founder();
    const { input } = await signIn(alice);
    await rejected(verifyNep413SignIn({ ...input, accountId: bob.accountId }), 'key_not_found');
    await rejected(verifyNep413SignIn({ ...input, accountId: fresh('nobody') }), 'key_not_found');
  });

  it('rejects a function-call-only key', async () => {
    const carol = await founder({
      FunctionCall: { allowance: null, receiver_id: 'app.test.near', method_names: [] },
    });
    const { input } = await signIn(carol);
    await rejected(verifyNep413SignIn(input), 'not_full_access_key');
  });

  it('rejects a wrong recipient, a changed message and a tampered signature', async () => {
    const dave = await founder();
    const forOther = await signIn(dave, 'evil.example');
    await rejected(verifyNep413SignIn(forOther.input), 'recipient_mismatch');
    // claiming our recipient while the wallet signed for another: the signature no longer verifies
    await rejected(
      verifyNep413SignIn({ ...forOther.input, recipient: RECIPIENT }),
      'bad_signature',
    );

    const { input } = await signIn(dave);
    await rejected(
      verifyNep413SignIn({
        ...input,
        expected: { ...input.expected, message: 'another challenge' },
      }),
      'message_mismatch',
    );
    await rejected(
      verifyNep413SignIn({
        ...input,
        message: 'edited',
        expected: { ...input.expected, message: 'edited' },
      }),
      'bad_signature',
    );
    const otherNonce = Buffer.alloc(32, 7).toString('base64');
    await rejected(verifyNep413SignIn({ ...input, nonce: otherNonce }), 'bad_signature');
    await rejected(verifyNep413SignIn({ ...input, nonce: 'AAAA' }), 'bad_nonce');
    await rejected(
      verifyNep413SignIn({ ...input, signature: Buffer.alloc(64).toString('base64') }),
      'bad_signature',
    );
    await rejected(verifyNep413SignIn({ ...input, publicKey: 'secp256k1:abc' }), 'bad_public_key');
  });
});
