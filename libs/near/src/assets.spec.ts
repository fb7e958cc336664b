import {
  AssetError,
  createAssetRegistry,
  formatAmount,
  NEAR_ASSET,
  parseAmount,
  USDC_CONTRACT_IDS,
} from './assets';
import { rpcUrlFor } from './network';

describe('asset registry', () => {
  it('has NEAR and per-network USDC', () => {
    expect(createAssetRegistry({ network: 'mainnet' }).get('USDC')).toEqual({
      kind: 'nep141',
      symbol: 'USDC',
      decimals: 6,
      contractId: USDC_CONTRACT_IDS.mainnet,
    });
    expect(createAssetRegistry({ network: 'testnet' }).get('USDC')).toMatchObject({
      contractId: '3e2210e1184b45b64c8a434c0a7e7b23cc04ea7eb7a6c3c32520d03d4afcb8af',
    });
    const local = createAssetRegistry({ network: 'local', localUsdcContractId: 'usdc.test.near' });
    expect(local.get('USDC')).toMatchObject({ contractId: 'usdc.test.near', decimals: 6 });
    expect(local.get('NEAR')).toBe(local.get('NEAR'));
    expect(local.get('NEAR')).toEqual(NEAR_ASSET);
    expect(local.findByContract('usdc.test.near')?.symbol).toBe('USDC');
    expect(() => local.get('DOGE')).toThrow(expect.objectContaining({ code: 'unknown_asset' }));
  });

  it('adds tokens from config and rejects bad definitions', () => {
    const reg = createAssetRegistry({
      network: 'local',
      extraTokens: [{ symbol: 'USDT', decimals: 6, contractId: 'usdt.test.near' }],
    });
    expect(reg.list().map((a) => a.symbol)).toEqual(['NEAR', 'USDC', 'USDT']);
    expect(() =>
      createAssetRegistry({
        network: 'local',
        extraTokens: [{ symbol: 'USDC', decimals: 6, contractId: 'x.near' }],
      }),
    ).toThrow(AssetError);
    expect(() =>
      createAssetRegistry({
        network: 'local',
        extraTokens: [{ symbol: 'BAD', decimals: 6, contractId: 'Bad!' }],
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_token' }));
  });

  it('resolves RPC URLs per network', () => {
    expect(rpcUrlFor('local', { localUrl: 'http://127.0.0.1:4000' })).toBe('http://127.0.0.1:4000');
    expect(rpcUrlFor('testnet')).toMatch(/^https:\/\/.*testnet|test\./);
    expect(rpcUrlFor('mainnet')).toMatch(/^https:\/\//);
    expect(rpcUrlFor('mainnet', { override: 'https://rpc.example' })).toBe('https://rpc.example');
  });
});

describe('parseAmount / formatAmount', () => {
  const usdc = { symbol: 'USDC', decimals: 6 };
  it('parses decimal strings into base units', () => {
    expect(parseAmount(usdc, '2500.50')).toBe(2_500_500_000n);
    expect(parseAmount(usdc, '0.000001')).toBe(1n);
    expect(parseAmount(usdc, '7')).toBe(7_000_000n);
    expect(parseAmount(usdc, '007.10')).toBe(7_100_000n);
    expect(parseAmount(NEAR_ASSET, '1.5')).toBe(1_500_000_000_000_000_000_000_000n);
    expect(parseAmount(NEAR_ASSET, '0.000000000000000000000001')).toBe(1n);
    expect(parseAmount(usdc, '0')).toBe(0n);
  });

  it.each([
    ['too many decimals', '1.0000001', 'too_many_decimals'],
    ['negative', '-1', 'negative_amount'],
    ['empty', '', 'invalid_amount'],
    ['leading dot', '.5', 'invalid_amount'],
    ['trailing dot', '5.', 'invalid_amount'],
    ['exponent', '1e6', 'invalid_amount'],
    ['plus sign', '+1', 'invalid_amount'],
    ['whitespace', ' 1', 'invalid_amount'],
    ['comma', '1,5', 'invalid_amount'],
    ['hex', '0x10', 'invalid_amount'],
    ['two dots', '1.2.3', 'invalid_amount'],
  ])('rejects %s', (_label, value, code) => {
    expect(() => parseAmount(usdc, value)).toThrow(expect.objectContaining({ code }));
  });

  it('formats base units back to a decimal string', () => {
    expect(formatAmount(usdc, 2_500_500_000n)).toBe('2500.5');
    expect(formatAmount(usdc, 1n)).toBe('0.000001');
    expect(formatAmount(usdc, 0n)).toBe('0');
    expect(formatAmount(usdc, 7_000_000n)).toBe('7');
    expect(formatAmount(NEAR_ASSET, 10n ** 24n + 1n)).toBe('1.000000000000000000000001');
    expect(formatAmount({ decimals: 0 }, 42n)).toBe('42');
    for (const s of ['2500.5', '0.000001', '123456789.123456']) {
      expect(formatAmount(usdc, parseAmount(usdc, s))).toBe(s);
    }
  });
});
