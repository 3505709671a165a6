import { toText } from '../../common/value-text';

test.each([
  ['abc', 'abc'],
  [null, 'null'],
  [undefined, 'null'],
  [8, '8'],
  [true, 'true'],
  [['vmx', 'avx2'], '["vmx","avx2"]'],
  [{ a: 1 }, '{"a":1}'],
])('%j → %s', (value, text) => {
  expect(toText(value)).toBe(text);
});
