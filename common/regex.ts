import { RE2JS, RE2JSException } from 're2js';
import { memoized } from './memoize';
import { toText } from './value-text';

export const MAX_PATTERN_LENGTH = 1000;
/** RE2 runs in linear time; the text is bounded anyway, so one match costs little. */
export const MAX_REGEX_TEXT = 64 * 1024;

/**
 * Python `re` syntax as RE2 reads it. RE2 takes most of it as is ((?P<name>...), \A, (?i),
 * (?m), (?s)); what differs: the leading flags (?a) and (?u) (ASCII / Unicode classes:
 * RE2's classes are ASCII) are dropped, and Python's \Z is RE2's \z.
 */
function fromPython(pattern: string): string {
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  let src = pattern;
  if (lead) {
    const flags = lead[1]!.replace(/[au]/g, '');
    src = (flags ? `(?${flags})` : '') + pattern.slice(lead[0].length);
  }
  return src.replace(/\\(.)/gs, (escape, ch: string) => (ch === 'Z' ? '\\z' : escape));
}

/**
 * Compiles a Python `re` pattern for RE2 (linear-time matching, whatever the pattern and
 * text). Throws on a pattern that is too long, invalid, or needs backtracking
 * (backreferences, lookarounds...).
 */
export const compileRegex = memoized((pattern): RE2JS => {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`pattern is ${pattern.length} characters, more than ${MAX_PATTERN_LENGTH}`);
  }
  try {
    return RE2JS.compile(fromPython(pattern));
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    throw new Error(`pattern not supported (linear-time regex engine): ${err.message.replace(/^error parsing regexp: /, '')}`);
  }
});

/** The text a pattern is matched against: toText, bounded. */
export function regexText(field: unknown): string {
  const text = toText(field);
  if (text.length > MAX_REGEX_TEXT) {
    throw new Error(`text is ${text.length} characters, more than the ${MAX_REGEX_TEXT} a pattern is matched against`);
  }
  return text;
}
