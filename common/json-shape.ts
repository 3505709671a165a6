import { InvalidInputError } from './errors';

// Bounds on any JSON document from outside, checked before anything else reads it: keys that
// reach Object.prototype in careless code, nesting that exhausts a recursive reader, and
// arrays and strings that no real client sends.

export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonLimits {
  maxDepth: number;
  maxArrayLength: number;
  maxStringLength: number;
  maxKeys: number;
  /** Top-level keys whose string value may be as long as the body (the ramdisk's `logs`). */
  longStrings?: string[];
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxArrayLength: 10000, maxStringLength: 65536, maxKeys: 1000 };

interface Frame {
  value: unknown;
  depth: number;
  key: string;
  parent: Frame | null;
}

const pathOf = (frame: Frame): string => {
  const keys: string[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) keys.unshift(f.key);
  return keys.length ? keys.join('.') : '(body)';
};

/** Throws a 400 naming the first place where `value` breaks a limit; iterative, so depth cannot overflow the stack. */
export function checkJsonShape(value: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  const stack: Frame[] = [{ value, depth: 0, key: '', parent: null }];
  const fail = (frame: Frame, problem: string) => {
    throw new InvalidInputError(`${pathOf(frame)}: ${problem}`);
  };
  while (stack.length) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      const long = frame.depth === 1 && limits.longStrings?.includes(frame.key);
      if (!long && v.length > limits.maxStringLength) fail(frame, `string longer than ${limits.maxStringLength} characters`);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (frame.depth >= limits.maxDepth) fail(frame, `nested deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) fail(frame, `more than ${limits.maxArrayLength} items`);
      v.forEach((item, i) => stack.push({ value: item, depth: frame.depth + 1, key: String(i), parent: frame }));
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.maxKeys) fail(frame, `more than ${limits.maxKeys} keys`);
    for (const key of keys) {
      const child: Frame = { value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, key, parent: frame };
      if (FORBIDDEN_KEYS.has(key)) fail(child, 'this key is not allowed');
      if (key.length > 255) fail(frame, 'a key is longer than 255 characters');
      stack.push(child);
    }
  }
}
