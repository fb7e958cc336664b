import { KeyPair } from 'near-api-js';
import { ConfigError } from '@lib/platform';
import { loadConfig } from './config';
import { loadSignerLanes } from './lane/signer-lanes.config';

const base = {
  NEAR_TREASURY_ACCOUNT_ID: 'treasury.test.near',
  AUTH_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!!',
};

describe('near-settlement config', () => {
  it('refuses the crash hook in production, naming the variable', () => {
    expect(() =>
      loadConfig({ ...base, NODE_ENV: 'production', SETTLEMENT_FAULT_CRASH_AT: 'after-store' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig({ ...base, NODE_ENV: 'production', SETTLEMENT_FAULT_CRASH_AT: 'after-store' }),
    ).toThrow(/SETTLEMENT_FAULT_CRASH_AT/);
  });

  it('accepts the crash hook in tests, and only known step names', () => {
    expect(
      loadConfig({ ...base, NODE_ENV: 'test', SETTLEMENT_FAULT_CRASH_AT: 'after-event' })
        .SETTLEMENT_FAULT_CRASH_AT,
    ).toBe('after-event');
    expect(() =>
      loadConfig({ ...base, NODE_ENV: 'test', SETTLEMENT_FAULT_CRASH_AT: 'somewhere' }),
    ).toThrow(/SETTLEMENT_FAULT_CRASH_AT/);
  });

  it('one lane per distinct key, from the single key and the key list; secrets never in the lane text', () => {
    const [a, b] = [KeyPair.fromRandom('ed25519'), KeyPair.fromRandom('ed25519')];
    const lanes = loadSignerLanes(
      loadConfig({
        ...base,
        NEAR_TREASURY_SECRET_KEY: a.toString(),
        NEAR_TREASURY_SECRET_KEYS: `${a.toString()}, ${b.toString()}`,
      }),
    );
    expect(lanes.map((l) => l.publicKey)).toEqual([
      a.getPublicKey().toString(),
      b.getPublicKey().toString(),
    ]);
    const shown = JSON.stringify(lanes) + String(lanes[0].signer);
    expect(shown).not.toContain(a.toString().slice(8));
    expect(shown).not.toContain(b.toString().slice(8));
  });

  it('needs a treasury account and at least one key', () => {
    expect(() => loadSignerLanes(loadConfig({ AUTH_JWT_SECRET: base.AUTH_JWT_SECRET }))).toThrow(
      /TREASURY_ACCOUNT_ID/,
    );
    expect(() => loadSignerLanes(loadConfig(base))).toThrow(/no treasury lane key/);
    const alias = loadSignerLanes(
      loadConfig({
        TREASURY_ACCOUNT_ID: 'other.test.near',
        NEAR_TREASURY_SECRET_KEYS: KeyPair.fromRandom('ed25519').toString(),
      }),
    );
    expect(alias[0].accountId).toBe('other.test.near');
  });
});
