import { bootMac, bytesToMac, normalizeMac } from '../../common/mac';

test('MACs in any usual form become lower-case colon form; anything else is null', () => {
  for (const form of ['52:54:00:AB:CD:EF', '52-54-00-ab-cd-ef', '5254.00ab.cdef', '525400ABCDEF', ' 52:54:00:ab:cd:ef ']) {
    expect([form, normalizeMac(form)]).toEqual([form, '52:54:00:ab:cd:ef']);
  }
  for (const bad of ['52-54-00-ab-cd', '01-52-54-00-ab-cd-ef', 'zz:54:00:ab:cd:ef', '', '52:54:00:ab:cd:ef:00', `${'52:'.repeat(40)}00`, 42, null]) {
    expect([bad, normalizeMac(bad)]).toEqual([bad, null]);
  }
});

test('a PXE boot names its MAC in BOOTIF form too', () => {
  expect(bootMac('01-52-54-00-AB-CD-EF')).toBe('52:54:00:ab:cd:ef');
  expect(bootMac('52:54:00:ab:cd:ef')).toBe('52:54:00:ab:cd:ef');
  expect(bootMac('02-52-54-00-ab-cd-ef')).toBeNull();
  expect(bootMac('eth0')).toBeNull();
});

test('six bytes are a MAC, other lengths are not', () => {
  expect(bytesToMac(Uint8Array.from([0x52, 0x54, 0, 0xab, 0xcd, 0xef]))).toBe('52:54:00:ab:cd:ef');
  expect(bytesToMac(Uint8Array.from([1, 2, 3]))).toBeNull();
});
