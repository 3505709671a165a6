// The tokenizer of the expression language (see parse.ts). One pass over the text, one
// character at a time: no regex touches the input.

export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  /** The operator or punctuation, the identifier, the string's value or the number's text. */
  text: string;
  /** For numbers. */
  value?: number;
  /** 0-based offset in the expression. */
  pos: number;
}

/** A parse error; `position` is the 0-based offset where it was found. */
export class ExprSyntaxError extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`at position ${position}: ${reason}`);
    this.name = 'ExprSyntaxError';
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentChar = (c: string | undefined) => isIdentStart(c) || isDigit(c);
const TWO_CHAR_OPS = ['==', '!=', '<=', '>=', '!~'];
const ONE_CHAR_OPS = ['<', '>', '~'];
const PUNCT = ['(', ')', '[', ']', ',', '.', '-'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c)) {
      while (isDigit(text[i])) i++;
      if (text[i] === '.' && isDigit(text[i + 1])) {
        i++;
        while (isDigit(text[i])) i++;
      }
      if (text[i] === 'e' || text[i] === 'E') {
        let j = i + 1;
        if (text[j] === '+' || text[j] === '-') j++;
        if (!isDigit(text[j])) throw new ExprSyntaxError(i, 'expected digits after the exponent');
        i = j;
        while (isDigit(text[i])) i++;
      }
      if (isIdentStart(text[i])) throw new ExprSyntaxError(i, `unexpected "${text[i]}" after a number`);
      const raw = text.slice(start, i);
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new ExprSyntaxError(start, `number ${raw.length > 20 ? raw.slice(0, 20) + '...' : raw} is out of range`);
      tokens.push({ kind: 'number', text: raw, value, pos: start });
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        const ch = text[i];
        if (ch === undefined) throw new ExprSyntaxError(start, 'unterminated string');
        if (ch === c) break;
        if (ch === '\\') {
          const next = text[i + 1];
          if (next === undefined) throw new ExprSyntaxError(start, 'unterminated string');
          // As Python's: an unknown escape stays as written, so patterns read naturally ("\d+").
          value += ESCAPES[next] ?? '\\' + next;
          i += 2;
        } else {
          value += ch;
          i++;
        }
      }
      i++;
      tokens.push({ kind: 'string', text: value, pos: start });
    } else if (isIdentStart(c)) {
      while (isIdentChar(text[i])) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), pos: start });
    } else if (TWO_CHAR_OPS.includes(text.slice(i, i + 2))) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2), pos: start });
      i += 2;
    } else if (ONE_CHAR_OPS.includes(c)) {
      tokens.push({ kind: 'op', text: c, pos: start });
      i++;
    } else if (PUNCT.includes(c)) {
      tokens.push({ kind: 'punct', text: c, pos: start });
      i++;
    } else if (c === '=' || c === '!') {
      throw new ExprSyntaxError(i, c === '=' ? 'unexpected "=" (use "==" to compare)' : 'unexpected "!" (use "not", "!=" or "!~")');
    } else {
      throw new ExprSyntaxError(i, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}
