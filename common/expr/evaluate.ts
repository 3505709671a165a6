import { deepEqual } from '../deep-equal';
import { compileRegex, regexText } from '../regex';
import type { Expr, PathStep } from './parse';

// Evaluates a parsed expression over a JSON document. A missing field is null; `<` and the
// other orderings compare two numbers or two strings and are false for anything else; `==`
// compares JSON values as they are (no conversion: 1 != "1"); `in` holds when the right side
// is a list holding the left; `and`, `or`, `not` and a bare field take JSON's truth (null,
// false, 0, "", [] and {} are false). count() of what is not a list is 0; any() and all() see
// it as an empty list. This is the reference: the SQL of nodes/fleet.ts only pre-filters.

/** Steps one evaluation may take (any() in any() over long lists must not run for minutes). */
export const MAX_EVAL_STEPS = 1_000_000;

/** Steps left; one budget may be shared by the evaluations of a whole query. */
export class StepBudget {
  constructor(public remaining = MAX_EVAL_STEPS) {}
}

export class ExprEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExprEvalError';
  }
}

type Json = unknown;

export function resolve(doc: Json, steps: PathStep[]): Json {
  let value = doc;
  for (const step of steps) {
    if (typeof step === 'number') value = Array.isArray(value) && step < value.length ? value[step] : null;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, step)) value = (value as Record<string, Json>)[step];
    else value = null;
  }
  return value === undefined ? null : value;
}

export function truthy(value: Json): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function order(a: Json, b: Json): number | undefined {
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')) return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

class Evaluator {
  constructor(private readonly budget: StepBudget) {}

  value(expr: Expr, doc: Json): Json {
    if (--this.budget.remaining < 0) throw new ExprEvalError('expression takes too many steps on this data (any() or all() nested over long lists?)');
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'list':
        return expr.items.map((item) => this.value(item, doc));
      case 'path':
        return resolve(doc, expr.steps);
      case 'compare': {
        const a = this.value(expr.left, doc);
        const b = this.value(expr.right, doc);
        if (expr.op === '==') return deepEqual(a, b);
        if (expr.op === '!=') return !deepEqual(a, b);
        const o = order(a, b);
        if (o === undefined) return false;
        return expr.op === '<' ? o < 0 : expr.op === '<=' ? o <= 0 : expr.op === '>' ? o > 0 : o >= 0;
      }
      case 'in': {
        const a = this.value(expr.left, doc);
        const list = this.value(expr.right, doc);
        return Array.isArray(list) && list.some((item) => deepEqual(a, item));
      }
      case 'match': {
        const a = this.value(expr.left, doc);
        const found = a !== null && compileRegex(expr.pattern).test(this.text(a));
        return expr.negate ? !found : found;
      }
      case 'and':
        return this.test(expr.left, doc) && this.test(expr.right, doc);
      case 'or':
        return this.test(expr.left, doc) || this.test(expr.right, doc);
      case 'not':
        return !this.test(expr.operand, doc);
      case 'call': {
        const list = resolve(doc, expr.list.steps);
        const items = Array.isArray(list) ? list : [];
        if (expr.fn === 'count') return items.length;
        if (expr.fn === 'any') return items.some((item) => this.test(expr.body!, item));
        return items.every((item) => this.test(expr.body!, item));
      }
    }
  }

  private text(value: Json): string {
    try {
      return regexText(value);
    } catch (err) {
      throw new ExprEvalError((err as Error).message);
    }
  }

  test(expr: Expr, doc: Json): boolean {
    return truthy(this.value(expr, doc));
  }
}

/** Whether the expression holds on the document. Throws ExprEvalError when it runs too long, or a regex error on text over the rules' limit. */
export function evaluate(expr: Expr, doc: Json, budget = new StepBudget()): boolean {
  return new Evaluator(budget).test(expr, doc);
}

export interface UsedField {
  /** As written; inside any()/all(): `list[].path`; count(list) is one field. */
  label: string;
  /** Its value in a document (inside any()/all(): the list of the elements' values). */
  get(doc: Json): Json;
}

/** The fields the expression reads, for showing them beside each match. */
export function usedFields(expr: Expr): UsedField[] {
  const out = new Map<string, UsedField>();
  const walk = (e: Expr, label: string, get: (doc: Json, steps: PathStep[]) => Json): void => {
    switch (e.kind) {
      case 'path':
        out.set(label + e.text, { label: label + e.text, get: (doc) => get(doc, e.steps) });
        break;
      case 'list':
        e.items.forEach((item) => walk(item, label, get));
        break;
      case 'compare':
      case 'in':
      case 'and':
      case 'or':
        walk(e.left, label, get);
        walk(e.right, label, get);
        break;
      case 'match':
        walk(e.left, label, get);
        break;
      case 'not':
        walk(e.operand, label, get);
        break;
      case 'call': {
        const list = e.list.steps;
        if (e.fn === 'count') {
          const text = `${label}count(${e.list.text})`;
          out.set(text, {
            label: text,
            get: (doc) => {
              const v = get(doc, list);
              return Array.isArray(v) ? v.length : 0;
            },
          });
        } else {
          walk(e.body!, `${label}${e.list.text}[].`, (doc, steps) => {
            const v = get(doc, list);
            return Array.isArray(v) ? v.map((item) => resolve(item, steps)) : [];
          });
        }
        break;
      }
    }
  };
  walk(expr, '', resolve);
  return [...out.values()];
}
