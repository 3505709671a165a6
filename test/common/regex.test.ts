import { compileRegex, MAX_PATTERN_LENGTH, MAX_REGEX_TEXT, regexText } from '../../common/regex';

describe('compileRegex', () => {
  test('a Python inline flag RE2 lacks is refused', () => {
    expect(() => compileRegex('(?L)x')).toThrow(/not supported .*`\(\?L`/);
  });

  test.each([
    ['(a)\\1', 'invalid escape sequence'],
    ['(?P<x>a)(?P=x)', 'invalid or unsupported Perl syntax: `(?P`'],
    ['a(?=b)', '`(?=`'],
    ['a(?!b)', '`(?!`'],
    ['(?<=a)b', 'invalid named capture'],
    ['(?<!a)b', 'invalid named capture'],
    ['(?>a+)b', '`(?>`'],
    ['a*+', 'invalid nested repetition operator'],
  ])('%j (backtracking only) is refused', (pattern, why) => {
    expect(() => compileRegex(pattern)).toThrow('pattern not supported (linear-time regex engine): ');
    expect(() => compileRegex(pattern)).toThrow(why);
  });

  test('a pattern is compiled once', () => {
    expect(compileRegex('ab+c')).toBe(compileRegex('ab+c'));
  });
});

test('pattern length and text length are bounded', () => {
  expect(() => compileRegex('a'.repeat(MAX_PATTERN_LENGTH))).not.toThrow();
  expect(() => compileRegex('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(`pattern is 1001 characters, more than 1000`);
  expect(compileRegex('a*').testExact(regexText('a'.repeat(MAX_REGEX_TEXT)))).toBe(true);
  expect(() => regexText('a'.repeat(MAX_REGEX_TEXT + 1))).toThrow(/text is 65537 characters, more than the 65536/);
  expect(() => regexText(['a'.repeat(MAX_REGEX_TEXT)])).toThrow(/more than the 65536/); // as JSON text
});
