import { compileRegex } from '../regex';
import { ExprSyntaxError, tokenize, type Token } from './tokens';

// The expression language of fleet queries and of introspection rules' `expr` conditions:
//
//   expr       := or
//   or         := and ("or" and)*
//   and        := not ("and" not)*
//   not        := "not" not | comparison
//   comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") operand | ("~" | "!~") string]
//   operand    := number | "-" number | string | true | false | null | "[" [operand ("," operand)*] "]"
//               | "(" expr ")" | count(path) | any(path, expr) | all(path, expr) | path
//   path       := name ("." name | "[" integer "]" | "[" string "]")*
//
// Inside any() and all() paths are relative to the list's element. `~` and `!~` search a
// pattern (Python `re` syntax, run by RE2 as the rules' `contains` op). Bounded: the text's
// length, the nesting depth and the list literals' sizes.

export const MAX_EXPR_LENGTH = 4096;
export const MAX_EXPR_DEPTH = 32;

export type PathStep = string | number;
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ListFunction = 'count' | 'any' | 'all';

export type Expr =
  | { kind: 'literal'; value: null | boolean | number | string; pos: number }
  | { kind: 'list'; items: Expr[]; pos: number }
  | { kind: 'path'; steps: PathStep[]; text: string; pos: number }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr; pos: number }
  | { kind: 'in'; left: Expr; right: Expr; pos: number }
  | { kind: 'match'; negate: boolean; left: Expr; pattern: string; pos: number }
  | { kind: 'and' | 'or'; left: Expr; right: Expr; pos: number }
  | { kind: 'not'; operand: Expr; pos: number }
  | { kind: 'call'; fn: ListFunction; list: Extract<Expr, { kind: 'path' }>; body?: Expr; pos: number };

export type PathExpr = Extract<Expr, { kind: 'path' }>;

const COMPARE_OPS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const FUNCTIONS = new Set<string>(['count', 'any', 'all']);

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  private get tok(): Token {
    return this.tokens[this.i]!;
  }

  private fail(why: string, tok = this.tok): never {
    throw new ExprSyntaxError(tok.pos, why);
  }

  private describe(tok: Token): string {
    if (tok.kind === 'end') return 'the end of the expression';
    if (tok.kind === 'string') return `string ${JSON.stringify(tok.text.length > 20 ? tok.text.slice(0, 20) + '...' : tok.text)}`;
    return `"${tok.text}"`;
  }

  private is(kind: Token['kind'], text?: string): boolean {
    return this.tok.kind === kind && (text === undefined || this.tok.text === text);
  }

  private expect(kind: Token['kind'], text: string): Token {
    if (!this.is(kind, text)) this.fail(`expected "${text}", found ${this.describe(this.tok)}`);
    return this.tokens[this.i++]!;
  }

  private nested<T>(pos: number, parse: () => T): T {
    if (++this.depth > MAX_EXPR_DEPTH) throw new ExprSyntaxError(pos, `nested deeper than ${MAX_EXPR_DEPTH} levels`);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  parseAll(): Expr {
    const expr = this.expr();
    if (!this.is('end')) this.fail(`unexpected ${this.describe(this.tok)}`);
    return expr;
  }

  private expr(): Expr {
    let left = this.and();
    while (this.is('ident', 'or')) {
      const pos = this.tokens[this.i++]!.pos;
      left = { kind: 'or', left, right: this.and(), pos };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.is('ident', 'and')) {
      const pos = this.tokens[this.i++]!.pos;
      left = { kind: 'and', left, right: this.not(), pos };
    }
    return left;
  }

  private not(): Expr {
    if (!this.is('ident', 'not')) return this.comparison();
    const pos = this.tokens[this.i++]!.pos;
    return this.nested(pos, () => ({ kind: 'not', operand: this.not(), pos }));
  }

  private comparison(): Expr {
    const left = this.operand();
    const tok = this.tok;
    if (tok.kind === 'op' && COMPARE_OPS.has(tok.text)) {
      this.i++;
      return { kind: 'compare', op: tok.text as CompareOp, left, right: this.operand(), pos: tok.pos };
    }
    if (tok.kind === 'op' && (tok.text === '~' || tok.text === '!~')) {
      this.i++;
      const pattern = this.tok;
      if (pattern.kind !== 'string') this.fail(`expected a pattern (a string) after "${tok.text}", found ${this.describe(pattern)}`);
      try {
        compileRegex(pattern.text);
      } catch (err) {
        this.fail(`invalid pattern: ${(err as Error).message}`, pattern);
      }
      this.i++;
      return { kind: 'match', negate: tok.text === '!~', left, pattern: pattern.text, pos: tok.pos };
    }
    if (this.is('ident', 'in')) {
      this.i++;
      return { kind: 'in', left, right: this.operand(), pos: tok.pos };
    }
    return left;
  }

  private operand(): Expr {
    const tok = this.tok;
    switch (tok.kind) {
      case 'number':
        this.i++;
        return { kind: 'literal', value: tok.value!, pos: tok.pos };
      case 'string':
        this.i++;
        return { kind: 'literal', value: tok.text, pos: tok.pos };
      case 'punct':
        if (tok.text === '-') {
          this.i++;
          if (!this.is('number')) this.fail(`expected a number after "-", found ${this.describe(this.tok)}`);
          return { kind: 'literal', value: -this.tokens[this.i++]!.value!, pos: tok.pos };
        }
        if (tok.text === '(') {
          this.i++;
          const inner = this.nested(tok.pos, () => this.expr());
          this.expect('punct', ')');
          return inner;
        }
        if (tok.text === '[') return this.nested(tok.pos, () => this.list());
        break;
      case 'ident':
        if (tok.text === 'true' || tok.text === 'false') {
          this.i++;
          return { kind: 'literal', value: tok.text === 'true', pos: tok.pos };
        }
        if (tok.text === 'null') {
          this.i++;
          return { kind: 'literal', value: null, pos: tok.pos };
        }
        if (KEYWORDS.has(tok.text)) break;
        if (FUNCTIONS.has(tok.text) && this.tokens[this.i + 1]?.text === '(') return this.nested(tok.pos, () => this.call());
        return this.path();
    }
    this.fail(`expected a value, a field or "(", found ${this.describe(tok)}`);
  }

  private list(): Expr {
    const pos = this.expect('punct', '[').pos;
    const items: Expr[] = [];
    if (!this.is('punct', ']')) {
      do items.push(this.operand());
      while (this.is('punct', ',') && this.i++);
    }
    this.expect('punct', ']');
    return { kind: 'list', items, pos };
  }

  private call(): Expr {
    const name = this.tokens[this.i++]!;
    const fn = name.text as ListFunction;
    this.expect('punct', '(');
    if (!this.is('ident') || KEYWORDS.has(this.tok.text)) this.fail(`${fn}() takes a field (a list) first, found ${this.describe(this.tok)}`);
    const list = this.path();
    let body: Expr | undefined;
    if (fn === 'count') {
      if (this.is('punct', ',')) this.fail('count() takes one argument, a field');
    } else {
      this.expect('punct', ',');
      body = this.expr();
    }
    this.expect('punct', ')');
    return { kind: 'call', fn, list, body, pos: name.pos };
  }

  private path(): PathExpr {
    const first = this.tok;
    if (first.kind !== 'ident') this.fail(`expected a field name, found ${this.describe(first)}`);
    this.i++;
    const steps: PathStep[] = [first.text];
    let end = first.pos + first.text.length;
    for (;;) {
      if (this.is('punct', '.')) {
        this.i++;
        const name = this.tok;
        if (name.kind !== 'ident') this.fail(`expected a field name after ".", found ${this.describe(name)}`);
        this.i++;
        steps.push(name.text);
        end = name.pos + name.text.length;
      } else if (this.is('punct', '[')) {
        this.i++;
        const key = this.tok;
        if (key.kind === 'number' && Number.isSafeInteger(key.value) && /^\d+$/.test(key.text)) steps.push(key.value!);
        else if (key.kind === 'string') steps.push(key.text);
        else this.fail(`expected a list index (0, 1, ...) or a quoted key inside "[...]", found ${this.describe(key)}`);
        this.i++;
        end = this.expect('punct', ']').pos + 1;
      } else {
        break;
      }
    }
    for (const step of steps) if (step === '__proto__' || step === 'constructor' || step === 'prototype') this.fail(`field "${step}" is not allowed`, first);
    return { kind: 'path', steps, text: this.source.slice(first.pos, end), pos: first.pos };
  }
}

/** Parses an expression; throws ExprSyntaxError naming the position. */
export function parseExpr(text: string): Expr {
  if (text.length > MAX_EXPR_LENGTH) throw new ExprSyntaxError(MAX_EXPR_LENGTH, `expression is ${text.length} characters, more than ${MAX_EXPR_LENGTH}`);
  if (text.trim() === '') throw new ExprSyntaxError(0, 'empty expression');
  return new Parser(text, tokenize(text)).parseAll();
}
