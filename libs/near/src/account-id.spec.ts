import { isValidNearAccountId, nearAccountIdKind } from './account-id';

describe('isValidNearAccountId', () => {
  it.each([
    'ab',
    'alice.near',
    'treasury.foundation.near',
    'a-b_c.d-e',
    'usdc.test.near',
    '0x',
    'a'.repeat(64),
    '17208628f84f5d6ad33f0da3bbbeb27ffcb398eac501a31bd6ad2011e36133a1',
    '0x' + 'ab'.repeat(20),
    '1.2',
    'near',
  ])('accepts %s', (id) => {
    expect(isValidNearAccountId(id)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['one char', 'a'],
    ['65 chars', 'a'.repeat(65)],
    ['uppercase', 'Alice.near'],
    ['leading dot', '.alice'],
    ['trailing dot', 'alice.'],
    ['double dot', 'alice..near'],
    ['leading dash', '-alice'],
    ['trailing underscore', 'alice_'],
    ['double separator', 'al--ice'],
    ['mixed separators', 'al-_ice'],
    ['separator before dot', 'alice-.near'],
    ['separator after dot', 'alice.-near'],
    ['space', 'alice near'],
    ['at sign', 'alice@near'],
    ['unicode', 'аlice.near'],
    ['uppercase implicit hex', 'A'.repeat(64)],
    ['uppercase eth implicit', '0x' + 'AB'.repeat(20)],
  ])('rejects %s', (_label, id) => {
    expect(isValidNearAccountId(id)).toBe(false);
  });
});

describe('nearAccountIdKind', () => {
  it('tells implicit, eth-implicit and named ids apart', () => {
    expect(nearAccountIdKind('f'.repeat(64))).toBe('implicit');
    expect(nearAccountIdKind('0x' + '0'.repeat(40))).toBe('eth-implicit');
    // 63 hex chars is just a named id; so is 0x + 39 hex.
    expect(nearAccountIdKind('f'.repeat(63))).toBe('named');
    expect(nearAccountIdKind('0x' + '0'.repeat(39))).toBe('named');
    expect(nearAccountIdKind('bob.near')).toBe('named');
    expect(nearAccountIdKind('Bob.near')).toBeNull();
  });
});
