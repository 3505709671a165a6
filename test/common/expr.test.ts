// The expression language of fleet queries and rule conditions: parser, errors, evaluator, bounds.

import { evaluate, ExprEvalError, StepBudget, usedFields } from '../../common/expr/evaluate';
import { MAX_EXPR_DEPTH, MAX_EXPR_LENGTH, parseExpr } from '../../common/expr/parse';
import { ExprSyntaxError } from '../../common/expr/tokens';

const NODE = {
  name: 'r1-n1',
  memory_mb: 131072,
  cpus: 32,
  cpu: { model_name: 'Intel(R) Xeon(R) Gold 6230', count: 32 },
  disks: [
    { name: '/dev/sda', size: 480103981056, rotational: false, serial: 'S1' },
    { name: '/dev/sdb', size: 4000787030016, rotational: true, serial: 'S2' },
    { name: '/dev/sdc', size: 4000787030016, rotational: true, serial: 'S3' },
    { name: '/dev/sdd', size: 4000787030016, rotational: true, serial: null },
  ],
  interfaces: [
    { name: 'eno1', mac: '52:54:00:00:00:01', speed: 25000, lldp: { switch_id: 'aa:bb', switch_port: 'Ethernet1/12', system_name: 'leaf1' } },
    { name: 'eno2', mac: '52:54:00:00:00:02', speed: 1000, lldp: { switch_id: null, switch_port: null, system_name: null } },
  ],
  properties: { 'weird-key': 1 },
  traits: ['CUSTOM_GPU'],
};

const holds = (text: string, doc: unknown = NODE) => evaluate(parseExpr(text), doc);

function syntaxError(text: string): ExprSyntaxError {
  try {
    parseExpr(text);
  } catch (err) {
    if (err instanceof ExprSyntaxError) return err;
    throw err;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

describe('the issue examples', () => {
  it.each([
    ['memory_mb < 262144', true],
    ['memory_mb < 65536', false],
    ['cpu.model_name ~ "Xeon"', true],
    ['cpu.model_name ~ "EPYC"', false],
    ['count(disks) >= 4', true],
    ['count(disks) >= 5', false],
    ['any(interfaces, lldp.switch_port == "Ethernet1/12")', true],
    ['any(interfaces, lldp.switch_port == "Ethernet1/13")', false],
  ])('%s is %s', (text, expected) => expect(holds(text)).toBe(expected));
});

describe('evaluator', () => {
  it.each([
    // comparisons: numbers with numbers, strings with strings, nothing converted
    ['cpus == 32', true],
    ['cpus == "32"', false],
    ['cpus != "32"', true],
    ['32 <= cpus', true],
    ['name >= "r1"', true],
    ['name < 5', false],
    ['missing == null', true],
    ['missing < 5', false],
    ['missing != 5', true],
    ['cpu == {}'.replace('{}', 'null'), false],
    // in
    ['name in ["r1-n1", "r1-n2"]', true],
    ['cpus in [1, 2]', false],
    ['"CUSTOM_GPU" in traits', true],
    ['name in "r1-n1"', false],
    // regex: search, RE2 via the rules' Python syntax
    ['name ~ "^r1-"', true],
    ['name !~ "^r2-"', true],
    ['cpu.model_name ~ "(?i)xeon\\(r\\) gold"', true],
    ['name ~ "^r\\d-n\\d$"', true],
    ['missing ~ ".*"', false],
    // boolean logic, precedence: not > and > or
    ['not cpus == 32 or memory_mb > 1', true],
    ['not (cpus == 32 or memory_mb > 1)', false],
    ['cpus == 1 or cpus == 32 and memory_mb == 131072', true],
    ['(cpus == 1 or cpus == 32) and memory_mb == 1', false],
    // truthiness of bare fields
    ['traits', true],
    ['missing', false],
    ['not properties', false],
    // paths: index and quoted key
    ['disks[1].serial == "S2"', true],
    ['disks[9].serial == null', true],
    ['properties["weird-key"] == 1', true],
    // list functions, paths relative to the element
    ['all(disks, size > 1000000000)', true],
    ['all(disks, rotational)', false],
    ['count(disks) == 4 and any(disks, serial == null)', true],
    ['any(disks, rotational == false and size < 1e12)', true],
    ['count(missing) == 0 and not any(missing, true) and all(missing, false)', true],
    ['any(interfaces, speed >= 25000 and lldp.system_name ~ "leaf")', true],
    ['-1 < 0 and 1.5e3 == 1500', true],
  ])('%s is %s', (text, expected) => expect(holds(text)).toBe(expected));

  it('names the fields an expression read, with their values', () => {
    const fields = usedFields(parseExpr('memory_mb < 1 or count(disks) > 1 or any(interfaces, lldp.switch_port == "x")'));
    expect(Object.fromEntries(fields.map((f) => [f.label, f.get(NODE)]))).toEqual({
      memory_mb: 131072,
      'count(disks)': 4,
      'interfaces[].lldp.switch_port': ['Ethernet1/12', null],
    });
  });

  it('never reads inherited properties', () => {
    expect(holds('toString == null', {})).toBe(true);
    expect(syntaxError('a.__proto__ == 1').reason).toMatch(/__proto__/);
  });
});

describe('parse errors name the position', () => {
  it.each([
    ['memory_mb <', 11, /expected a value/],
    ['memory_mb = 4', 10, /use "==" to compare/],
    ['(cpus == 1', 10, /expected "\)"/],
    ['cpus == 1 cpus', 10, /unexpected "cpus"/],
    ['name ~ 5', 7, /expected a pattern/],
    ['name ~ "(a"', 7, /invalid pattern/],
    ['name ~ "(a)\\1"', 7, /invalid pattern/],
    ['"unterminated', 0, /unterminated string/],
    ['count(disks, x)', 11, /count\(\) takes one argument/],
    ['any(disks)', 9, /expected ","/],
    ['x[1.5] == 1', 2, /list index/],
    ['memory_mb < 4GiB', 13, /after a number/],
    ['a # b', 2, /unexpected character/],
    ['', 0, /empty expression/],
    ['1e', 1, /exponent/],
    ['not', 3, /expected a value/],
  ])('%j fails at %i', (text, position, message) => {
    const err = syntaxError(text);
    expect(err.position).toBe(position);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`at position ${position}`);
  });
});

describe('hostile inputs', () => {
  const fast = (fn: () => unknown) => {
    const start = performance.now();
    try {
      fn();
    } catch {
      // the time is what is checked
    }
    return performance.now() - start;
  };

  it('refuses deep nesting with a position, quickly', () => {
    const deep = '('.repeat(2000) + 'x' + ')'.repeat(2000);
    const err = syntaxError(deep);
    expect(err.message).toMatch(new RegExp(`nested deeper than ${MAX_EXPR_DEPTH}`));
    expect(err.position).toBe(MAX_EXPR_DEPTH);
    expect(syntaxError('not '.repeat(100) + 'x').message).toMatch(/nested deeper/);
    expect(syntaxError('['.repeat(100)).message).toMatch(/nested deeper/);
    expect(fast(() => parseExpr(deep))).toBeLessThan(50);
  });

  it('takes nesting up to the limit', () => {
    const ok = '('.repeat(MAX_EXPR_DEPTH - 1) + 'x == 1' + ')'.repeat(MAX_EXPR_DEPTH - 1);
    expect(evaluate(parseExpr(ok), { x: 1 })).toBe(true);
  });

  it('refuses numbers out of range', () => {
    expect(syntaxError('x < 1e999').message).toMatch(/out of range/);
    expect(syntaxError('x < ' + '9'.repeat(400)).message).toMatch(/out of range/);
    expect(holds('x < 1e308', { x: 1 })).toBe(true);
  });

  it('bounds the length; long strings within it parse in linear time', () => {
    const err = syntaxError('x == "' + 'a'.repeat(MAX_EXPR_LENGTH) + '"');
    expect(err.message).toMatch(/more than 4096/);
    const long = 'x == "' + 'a'.repeat(MAX_EXPR_LENGTH - 10) + '"';
    expect(evaluate(parseExpr(long), { x: 'a'.repeat(MAX_EXPR_LENGTH - 10) })).toBe(true);
    expect(fast(() => parseExpr('x == 1 and '.repeat(370) + 'x == 1'))).toBeLessThan(50);
    expect(fast(() => parseExpr('"' + '\\'.repeat(4000)))).toBeLessThan(50);
  });

  it('runs hostile patterns in linear time (RE2)', () => {
    const text = 'a'.repeat(60000) + '!';
    expect(fast(() => holds('x ~ "(a+)+$"', { x: text }))).toBeLessThan(500);
    expect(holds('x ~ "(a+)+b"', { x: text })).toBe(false);
  });

  it('stops an evaluation that takes too many steps', () => {
    const list = Array.from({ length: 1000 }, () => ({ l: Array.from({ length: 1000 }, () => 1) }));
    const expr = parseExpr('any(l, any(l, any(l, false)))');
    expect(() => evaluate(expr, { l: list })).toThrow(ExprEvalError);
    const budget = new StepBudget(100);
    expect(() => evaluate(parseExpr('all(l, true)'), { l: Array(200).fill(1) }, budget)).toThrow(/too many steps/);
  });
});
