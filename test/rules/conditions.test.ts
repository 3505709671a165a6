import {
  contains,
  eq,
  ge,
  gt,
  inNet,
  isEmpty,
  le,
  lt,
  matches,
  ne,
} from '../../activities/rules/conditions';
import { networkContains, parseIp, parseNetwork } from '../../activities/rules/cidr';

describe('eq / ne', () => {
  test('numbers, with a numeric string field coerced to the number value', () => {
    expect(eq(8, { value: 8 })).toBe(true);
    expect(eq('8', { value: 8 })).toBe(true);
    expect(eq(' 8 ', { value: 8 })).toBe(true);
    expect(eq(9, { value: 8 })).toBe(false);
    expect(eq(8, { value: '8' })).toBe(true); // number field vs numeric string value
    expect(ne(8, { value: 8 })).toBe(false);
    expect(ne('9', { value: 8 })).toBe(true);
  });

  test('strings compare as strings', () => {
    expect(eq('x86_64', { value: 'x86_64' })).toBe(true);
    expect(eq('X86_64', { value: 'x86_64' })).toBe(false);
    expect(ne('aarch64', { value: 'x86_64' })).toBe(true);
  });

  test('booleans, null, lists and objects by value', () => {
    expect(eq(true, { value: true })).toBe(true);
    expect(eq(false, { value: true })).toBe(false);
    expect(eq(null, { value: 'x' })).toBe(false);
    expect(eq(['a', 'b'], { value: ['a', 'b'] })).toBe(true);
    expect(eq(['a', 'b'], { value: ['b', 'a'] })).toBe(false);
    expect(eq({ a: 1, b: [2] }, { value: { b: [2], a: 1 } })).toBe(true);
    expect(eq({ a: 1 }, { value: { a: 1, b: 2 } })).toBe(false);
  });

  test('a field that is not a number against a number value throws (as int() does)', () => {
    expect(() => eq('abc', { value: 8 })).toThrow(/cannot compare string "abc" with number 8/);
    expect(() => eq(null, { value: 8 })).toThrow(/cannot compare null/);
    expect(() => ne('', { value: 8 })).toThrow(/cannot compare/);
  });
});

describe('lt / le / gt / ge', () => {
  test.each([
    [4096, 4096, [false, true, false, true]],
    [2048, 4096, [true, true, false, false]],
    [16384, 4096, [false, false, true, true]],
    ['16384', 4096, [false, false, true, true]],
    [16384, '4096', [false, false, true, true]],
    [0.5, 1, [true, true, false, false]],
  ])('%j vs %j', (field, value, [l, le_, g, ge_]) => {
    expect([lt(field, { value }), le(field, { value }), gt(field, { value }), ge(field, { value })]).toEqual([l, le_, g, ge_]);
  });

  test('two strings compare as strings', () => {
    expect(lt('abc', { value: 'abd' })).toBe(true);
    expect(gt('b', { value: 'abc' })).toBe(true);
    // both are text: not numeric (as in ironic-inspector)
    expect(lt('10', { value: '9' })).toBe(true);
  });

  test('unorderable values throw', () => {
    expect(() => lt([1], { value: 'a' })).toThrow(/cannot order list/);
    expect(() => ge(true, { value: 'a' })).toThrow(/cannot order boolean/);
    expect(() => gt('many', { value: 4 })).toThrow(/cannot compare string "many" with number 4/);
  });
});

describe('in-net', () => {
  test('IPv4', () => {
    expect(inNet('192.168.10.21', { value: '192.168.0.0/16' })).toBe(true);
    expect(inNet('192.169.0.1', { value: '192.168.0.0/16' })).toBe(false);
    expect(inNet('10.1.2.3', { value: '10.1.2.3' })).toBe(true); // bare address = /32
    expect(inNet('10.1.2.4', { value: '10.1.2.3/32' })).toBe(false);
    expect(inNet('10.1.2.4', { value: '10.1.2.99/24' })).toBe(true); // host bits ignored
    expect(inNet('1.2.3.4', { value: '0.0.0.0/0' })).toBe(true);
  });

  test('IPv6, zone ids and embedded IPv4', () => {
    expect(inNet('fd00:10::21', { value: 'fd00::/8' })).toBe(true);
    expect(inNet('2001:db8:0:1::5', { value: '2001:db8::/32' })).toBe(true);
    expect(inNet('2001:db9::5', { value: '2001:db8::/32' })).toBe(false);
    expect(inNet('fe80::5054:ff:fe12:3402%eth1', { value: 'fe80::/10' })).toBe(true);
    expect(inNet('::ffff:10.0.0.1', { value: '::ffff:10.0.0.0/120' })).toBe(true);
    expect(inNet('::1', { value: '::1/128' })).toBe(true);
    expect(inNet('::2', { value: '::1/128' })).toBe(false);
  });

  test('address families never mix', () => {
    expect(inNet('10.0.0.1', { value: '::/0' })).toBe(false);
    expect(inNet('::ffff:10.0.0.1', { value: '10.0.0.0/8' })).toBe(false);
  });

  test('no address is not in any network; garbage throws', () => {
    expect(inNet(null, { value: '0.0.0.0/0' })).toBe(false);
    expect(inNet('', { value: '0.0.0.0/0' })).toBe(false);
    expect(() => inNet('10.0.0.256', { value: '10.0.0.0/8' })).toThrow(/not an IP address/);
    expect(() => inNet(42, { value: '10.0.0.0/8' })).toThrow(/not an IP address/);
  });

  test('cidr helpers', () => {
    expect(parseIp('2001:db8::1')).toEqual({ version: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseIp('1.2.3.4')).toEqual({ version: 4, value: 0x01020304n });
    expect(parseIp('1.2.3')).toBeNull();
    expect(parseNetwork('10.0.0.0/08')).toEqual({ version: 4, base: 0x0a000000n, prefix: 8 });
    expect(parseNetwork('10.0.0.0/')).toBeNull();
    expect(networkContains(parseNetwork('2001:db8::/127')!, parseIp('2001:db8::1')!)).toBe(true);
    expect(networkContains(parseNetwork('2001:db8::/128')!, parseIp('2001:db8::1')!)).toBe(false);
  });
});

describe('matches / contains', () => {
  test('matches is a full match, contains a search', () => {
    expect(matches('Dell Inc.', { value: 'Dell' })).toBe(false);
    expect(matches('Dell Inc.', { value: 'Dell.*' })).toBe(true);
    expect(matches('Dell Inc.', { value: 'Dell.*$' })).toBe(true);
    expect(matches('xDell', { value: 'Dell|xDell' })).toBe(true);
    expect(matches('Dellx', { value: 'Dell|xDell' })).toBe(false); // alternation stays anchored at both ends
    expect(contains('Intel(R) Xeon(R) Gold', { value: 'Xeon' })).toBe(true);
    expect(contains('Intel(R) Xeon(R) Gold', { value: '^Xeon' })).toBe(false);
    expect(contains('AMD EPYC', { value: 'Xeon' })).toBe(false);
  });

  test('non-string fields are matched as text', () => {
    expect(matches(8, { value: '\\d+' })).toBe(true);
    expect(contains(['vmx', 'avx2'], { value: '"avx2"' })).toBe(true);
    expect(matches(true, { value: 'true' })).toBe(true);
  });

  test('Python regex syntax: inline flags, named groups, \\A \\Z', () => {
    expect(matches('DELL INC.', { value: '(?i)dell.*' })).toBe(true);
    expect(matches('DELL INC.', { value: 'dell.*' })).toBe(false);
    expect(matches('abc', { value: '(?a)\\w+' })).toBe(true); // ASCII flag: RE2's classes are ASCII already
    expect(matches('AB\nc', { value: '(?ims)ab.C' })).toBe(true);
    expect(matches('ab-ab', { value: '(?P<x>ab)-(?P<y>ab)' })).toBe(true);
    expect(contains('abc', { value: '\\Aab' })).toBe(true);
    expect(contains('xabc', { value: '\\Aab' })).toBe(false);
    expect(contains('abc', { value: 'bc\\Z' })).toBe(true);
    expect(contains('abc\n', { value: 'bc\\Z' })).toBe(false); // \Z is the very end, unlike $ in Python
    expect(contains('a\\Ab', { value: '\\\\A' })).toBe(true); // escaped backslash stays literal
    expect(contains('a\\Zb', { value: '\\\\Z' })).toBe(true);
  });

  test('catastrophic-backtracking patterns run in linear time (a backtracking engine would hang here)', () => {
    const evil = `${'a'.repeat(50)}!`;
    expect(matches(evil, { value: '(a+)+$' })).toBe(false);
    expect(contains(evil, { value: '(a+)+$' })).toBe(false);
    expect(contains(evil, { value: '(a|aa)+$' })).toBe(false);
    expect(matches(evil, { value: '(a|a?)+' })).toBe(false);
    expect(contains('a'.repeat(50), { value: '(a+)+$' })).toBe(true);
    expect(matches(`${'x'.repeat(5000)}y`, { value: '(x+x+)+y' })).toBe(true);
  });
});

describe('is-empty', () => {
  test.each([
    [null, true],
    [undefined, true],
    ['', true],
    [[], true],
    [{}, true],
    [0, false],
    [false, false],
    [' ', false],
    [[null], false],
    [{ a: null }, false],
  ])('%j → %s', (field, expected) => {
    expect(isEmpty(field)).toBe(expected);
  });
});
