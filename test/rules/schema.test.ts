import { MAX_RULE_BYTES, MAX_RULES, parseRule, RuleSchema, RuleValidationError } from '../../activities/rules/schema';

const okAction = { action: 'add-trait', name: 'CUSTOM_X' };

function rejection(body: unknown): string {
  try {
    parseRule(body);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleValidationError);
    return (err as Error).message;
  }
  throw new Error('rule was accepted');
}

describe('parseRule accepts', () => {
  test('the product rule, filling defaults', () => {
    const rule = parseRule({
      conditions: [{ op: 'ge', field: 'node://properties.memory_mb', value: 4096 }],
      actions: [{ action: 'add-trait', name: 'CUSTOM_BIG_MEMORY' }],
    });
    expect(rule.conditions[0]).toEqual({
      op: 'ge',
      field: 'node://properties.memory_mb',
      value: 4096,
      multiple: 'any',
      invert: false,
    });
    expect(rule.actions).toEqual([{ action: 'add-trait', name: 'CUSTOM_BIG_MEMORY' }]);
  });

  test('every op and action, uuid, description and scope', () => {
    const body = {
      uuid: '7b1a9c8e-2f0d-4b7e-9a51-3c6d2e8f1a04',
      description: 'everything',
      scope: 'rack-a',
      conditions: [
        { op: 'eq', field: 'inventory.cpu.architecture', value: 'x86_64' },
        { op: 'ne', field: 'data://inventory.cpu.count', value: { any: ['json'] } },
        { op: 'lt', field: 'inventory.cpu.count', value: 100 },
        { op: 'le', field: 'inventory.cpu.count', value: '8' },
        { op: 'gt', field: 'inventory.cpu.count', value: 1, multiple: 'all' },
        { op: 'ge', field: 'inventory.cpu.count', value: 8, multiple: 'first', invert: true },
        { op: 'in-net', field: 'inventory.interfaces[*].ipv4_address', value: '192.168.0.0/16' },
        { op: 'in-net', field: 'inventory.interfaces[*].ipv6_address', value: 'fd00::/8' },
        { op: 'matches', field: 'inventory.system_vendor.manufacturer', value: '(?i)dell.*' },
        { op: 'contains', field: 'inventory.cpu.model_name', value: 'Xeon' },
        { op: 'is-empty', field: 'node://extra.missing' },
      ],
      actions: [
        { action: 'fail', message: 'no' },
        { action: 'set-attribute', path: '/properties/cpus', value: '{data[inventory][cpu][count]}' },
        { action: 'set-attribute', path: '/extra/x', value: null },
        { action: 'extend-attribute', path: '/extra/tags', value: 'a', unique: true },
        { action: 'add-trait', name: 'HW_CPU_X86_AVX2' },
        { action: 'remove-trait', name: 'CUSTOM_OLD' },
        { action: 'set-capability', name: 'boot_mode', value: 'uefi' },
        { action: 'set-capability', name: 'gone' },
      ],
    };
    const rule = parseRule(body);
    expect(rule.uuid).toBe(body.uuid);
    expect(rule.scope).toBe('rack-a');
    expect(rule.conditions).toHaveLength(11);
    expect(rule.actions).toHaveLength(8);
    expect(rule.actions[3]).toEqual({ action: 'extend-attribute', path: '/extra/tags', value: 'a', unique: true });
  });

  test('no conditions (a rule that always applies), unknown top-level keys dropped', () => {
    const rule = parseRule({ actions: [okAction], links: [] });
    expect(rule.conditions).toEqual([]);
    expect(rule).not.toHaveProperty('links');
  });

  test('RuleSchema is a zod schema usable directly', () => {
    expect(RuleSchema.safeParse({ actions: [okAction] }).success).toBe(true);
    expect(RuleSchema.safeParse({ actions: [] }).success).toBe(false);
  });
});

describe('parseRule rejects, naming the path', () => {
  test('unknown op', () => {
    expect(rejection({ conditions: [{ op: 'eqq', field: 'a', value: 1 }], actions: [okAction] })).toMatch(
      /^conditions\.0\.op: unknown op "eqq"/,
    );
  });

  test('missing op', () => {
    expect(rejection({ conditions: [{ field: 'a', value: 1 }], actions: [okAction] })).toBe(
      'conditions.0.op: missing required parameter "op"',
    );
  });

  test('missing value, and null value', () => {
    expect(rejection({ conditions: [{ op: 'eq', field: 'a' }], actions: [okAction] })).toBe(
      'conditions.0.value: missing required parameter "value"',
    );
    expect(rejection({ conditions: [{ op: 'gt', field: 'a', value: null }], actions: [okAction] })).toBe(
      'conditions.0.value: missing required parameter "value"',
    );
  });

  test('missing field', () => {
    expect(rejection({ conditions: [{ op: 'eq', value: 1 }], actions: [okAction] })).toBe(
      'conditions.0.field: missing required parameter "field"',
    );
  });

  test('empty and missing actions', () => {
    expect(rejection({ conditions: [], actions: [] })).toBe('actions: at least one action is required');
    expect(rejection({ conditions: [] })).toMatch(/^actions: /);
  });

  test('unknown action and missing action params', () => {
    expect(rejection({ actions: [okAction, { action: 'reboot' }] })).toMatch(/^actions\.1\.action: unknown action "reboot"/);
    expect(rejection({ actions: [{ action: 'fail' }] })).toBe('actions.0.message: missing required parameter "message"');
    expect(rejection({ actions: [{ action: 'set-attribute', path: '/extra/a' }] })).toBe(
      'actions.0.value: missing required parameter "value"',
    );
    expect(rejection({ actions: [{ action: 'extend-attribute', value: 1 }] })).toBe(
      'actions.0.path: missing required parameter "path"',
    );
    expect(rejection({ actions: [{ action: 'add-trait' }] })).toBe('actions.0.name: missing required parameter "name"');
  });

  test('unexpected parameters', () => {
    expect(rejection({ conditions: [{ op: 'is-empty', field: 'a', value: 1 }], actions: [okAction] })).toMatch(
      /^conditions\.0: Unrecognized key: "value"/,
    );
    expect(rejection({ actions: [{ action: 'add-trait', name: 'CUSTOM_X', value: 1 }] })).toMatch(/^actions\.0: /);
  });

  test('bad multiple and invert', () => {
    expect(rejection({ conditions: [{ op: 'eq', field: 'a', value: 1, multiple: 'some' }], actions: [okAction] })).toMatch(
      /^conditions\.0\.multiple: /,
    );
    expect(rejection({ conditions: [{ op: 'eq', field: 'a', value: 1, invert: 'yes' }], actions: [okAction] })).toMatch(
      /^conditions\.0\.invert: /,
    );
  });

  test.each([
    ['ftp://inventory.cpu', /unsupported scheme "ftp"/],
    ['inventory..cpu', /descendant/],
    ['inventory.cpu.', /ends with/],
    ['', /empty path/],
    ['data://', /empty path/],
    ['inventory.disks[?size>1]', /unsupported selector/],
    ['inventory.disks[0', /unterminated/],
  ])('bad field path %j', (field, why) => {
    const msg = rejection({ conditions: [{ op: 'eq', field, value: 1 }], actions: [okAction] });
    expect(msg).toMatch(/^conditions\.0\.field: /);
    expect(msg).toMatch(why);
  });

  test('bad in-net network and bad regexes', () => {
    for (const value of ['10.0.0.0/33', 'not-a-net', '2001:db8::/129', '10.0.0.0/8/1']) {
      expect(rejection({ conditions: [{ op: 'in-net', field: 'a', value }], actions: [okAction] })).toMatch(
        /^conditions\.0\.value: invalid network/,
      );
    }
    expect(rejection({ conditions: [{ op: 'matches', field: 'a', value: '((' }], actions: [okAction] })).toBe(
      'conditions.0.value: pattern not supported (linear-time regex engine): missing closing ): `((`',
    );
    expect(rejection({ conditions: [{ op: 'contains', field: 'a', value: '(?x)a b' }], actions: [okAction] })).toMatch(
      /^conditions\.0\.value: pattern not supported \(linear-time regex engine\): invalid or unsupported Perl syntax: `\(\?x`/,
    );
  });

  test('comparison value of the wrong type', () => {
    expect(rejection({ conditions: [{ op: 'lt', field: 'a', value: [1] }], actions: [okAction] })).toMatch(
      /^conditions\.0\.value: expected a number or a string/,
    );
  });

  test.each([
    ['/driver_info/ipmi_address', /not allowed/],
    ['/driver', /not allowed/],
    ['properties/cpus', /must be a JSON pointer/],
    ['/properties', /must name a key/],
    ['/properties/', /must name a key/],
    ['/extra/a~2b', /escape/],
  ])('bad attribute path %j', (path, why) => {
    const msg = rejection({ actions: [{ action: 'set-attribute', path, value: 1 }] });
    expect(msg).toMatch(/^actions\.0\.path: /);
    expect(msg).toMatch(why);
  });

  test.each(['custom_lower', 'CUSTOM_', 'CUSTOM-DASH', '_X', ''])('bad trait %j', (name) => {
    expect(rejection({ actions: [{ action: 'remove-trait', name }] })).toMatch(/^actions\.0\.name: invalid trait name/);
  });

  test('bad capability name, bad uuid, several problems at once', () => {
    expect(rejection({ actions: [{ action: 'set-capability', name: 'a:b', value: 1 }] })).toMatch(/^actions\.0\.name: /);
    expect(rejection({ uuid: 'not-a-uuid', actions: [okAction] })).toBe('uuid: invalid UUID');
    const msg = rejection({ conditions: [{ op: 'nope', field: 'a' }], actions: [{ action: 'fail' }] });
    expect(msg).toContain('conditions.0.op: unknown op "nope"');
    expect(msg).toContain('actions.0.message: missing required parameter "message"');
  });

  test('non-object bodies', () => {
    expect(rejection(null)).toMatch(/^\(body\): /);
    expect(rejection({ conditions: 'x', actions: [okAction] })).toMatch(/^conditions: /);
  });
});

describe('parseRule bounds hostile rules', () => {
  const cond = (value: unknown) => ({ op: 'eq', field: 'inventory.cpu.count', value });
  const nested = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
    return value;
  };

  test('exported limits', () => {
    expect(MAX_RULES).toBe(1000);
    expect(MAX_RULE_BYTES).toBe(64 * 1024);
  });

  test('regexes RE2 cannot run in linear time are refused when the rule is created, naming the condition', () => {
    const body = (value: string) => ({
      conditions: [{ op: 'contains', field: 'a', value: 'ok' }, { op: 'matches', field: 'a', value }],
      actions: [okAction],
    });
    expect(rejection(body('(a)\\1'))).toBe(
      'conditions.1.value: pattern not supported (linear-time regex engine): invalid escape sequence: `\\1`',
    );
    expect(rejection(body('(?P<x>a)-(?P=x)'))).toMatch(/^conditions\.1\.value: pattern not supported \(linear-time regex engine\): /);
    expect(rejection(body('foo(?=bar)'))).toMatch(/^conditions\.1\.value: pattern not supported .*`\(\?=`/);
    expect(rejection(body('(?<!foo)bar'))).toMatch(/^conditions\.1\.value: pattern not supported /);
    expect(rejection(body('a'.repeat(1001)))).toBe('conditions.1.value: pattern is 1001 characters, more than 1000');
    expect(parseRule(body('(a+)+$')).conditions).toHaveLength(2);
  });

  test('a rule is at most MAX_RULE_BYTES serialized', () => {
    const big = 'x'.repeat(2000);
    expect(parseRule({ conditions: Array.from({ length: 30 }, () => cond(big)), actions: [okAction] }).conditions).toHaveLength(30);
    expect(rejection({ conditions: Array.from({ length: 40 }, () => cond(big)), actions: [okAction] })).toMatch(
      /^\(body\): rule is \d+ bytes serialized, more than 65536$/,
    );
  });

  test('at most 50 conditions and 50 actions', () => {
    expect(parseRule({ conditions: Array.from({ length: 50 }, () => cond(1)), actions: Array(50).fill(okAction) })).toBeTruthy();
    expect(rejection({ conditions: Array.from({ length: 51 }, () => cond(1)), actions: [okAction] })).toBe(
      'conditions: more than 50 conditions',
    );
    expect(rejection({ actions: Array(51).fill(okAction) })).toBe('actions: more than 50 actions');
  });

  test('strings are bounded: description, scope, field, path, names, message, values', () => {
    const long = 'a'.repeat(256);
    expect(parseRule({ description: 'd'.repeat(255), actions: [okAction] }).description).toHaveLength(255);
    expect(rejection({ description: long, actions: [okAction] })).toBe('description: longer than 255 characters');
    expect(rejection({ scope: long, actions: [okAction] })).toBe('scope: longer than 255 characters');
    expect(rejection({ conditions: [{ op: 'is-empty', field: long }], actions: [okAction] })).toBe(
      'conditions.0.field: longer than 255 characters',
    );
    expect(rejection({ actions: [okAction, { action: 'set-attribute', path: `/extra/${long}`, value: 1 }] })).toMatch(
      /^actions\.1\.path: longer than 255 characters/,
    );
    expect(rejection({ actions: [{ action: 'set-capability', name: long, value: 1 }] })).toMatch(/^actions\.0\.name: longer than 255/);
    expect(rejection({ actions: [{ action: 'add-trait', name: `CUSTOM_${'A'.repeat(249)}` }] })).toMatch(/^actions\.0\.name: longer than 255/);
    expect(rejection({ actions: [{ action: 'fail', message: 'm'.repeat(4097) }] })).toBe('actions.0.message: longer than 4096 characters');
    expect(rejection({ conditions: [cond('v'.repeat(4095))], actions: [okAction] })).toBe(
      'conditions.0.value: 4097 bytes serialized, more than 4096',
    );
    expect(rejection({ actions: [{ action: 'set-capability', name: 'c', value: 'é'.repeat(2048) }] })).toMatch(
      /^actions\.0\.value: 4098 bytes serialized/,
    );
    expect(parseRule({ actions: [{ action: 'extend-attribute', path: '/extra/a', value: ['v'.repeat(4000)] }] })).toBeTruthy();
  });

  test('values nest at most 10 levels, checked before anything recurses into them', () => {
    const setAt3 = (value: unknown) => ({ actions: [okAction, okAction, okAction, { action: 'set-attribute', path: '/extra/a', value }] });
    expect(parseRule(setAt3(nested(10))).actions[3]).toMatchObject({ value: nested(10) });
    expect(rejection(setAt3(nested(11)))).toBe('actions.3.value: nested deeper than 10 levels');
    expect(rejection({ conditions: [cond(nested(11))], actions: [okAction] })).toBe('conditions.0.value: nested deeper than 10 levels');
    expect(rejection(setAt3(nested(200000)))).toBe('actions.3.value: nested deeper than 10 levels');
  });
});

describe('parseRule refuses __proto__, constructor and prototype', () => {
  const refused = /"(__proto__|constructor|prototype)" is not allowed as a key/;

  test.each(['inventory.__proto__.x', 'data://constructor', "inventory['prototype']", 'node://properties.__proto__', 'a[*]."constructor"'])(
    'in condition field %j',
    (field) => {
      const msg = rejection({ conditions: [{ op: 'is-empty', field }], actions: [okAction] });
      expect(msg).toMatch(/^conditions\.0\.field: /);
      expect(msg).toMatch(refused);
    },
  );

  test.each(['/extra/__proto__', '/properties/a/constructor', '/extra/prototype/x', '/extra/a/__proto__/b'])('in attribute path %j', (path) => {
    for (const action of ['set-attribute', 'extend-attribute']) {
      const msg = rejection({ actions: [{ action, path, value: 1 }] });
      expect(msg).toMatch(/^actions\.0\.path: /);
      expect(msg).toMatch(refused);
    }
  });

  test.each([
    '{data[__proto__]}',
    'x {data.constructor} y',
    '{data[inventory][prototype]}',
    '{node[properties][__proto__]}',
    '{data[a].__proto__[b]}',
  ])('in formatting field %j, in values, object keys and capabilities', (template) => {
    const bodies = [
      { action: 'set-attribute', path: '/extra/a', value: template },
      { action: 'set-attribute', path: '/extra/a', value: { [template]: 1 } },
      { action: 'extend-attribute', path: '/extra/a', value: [[template]] },
      { action: 'set-capability', name: 'c', value: template },
    ];
    for (const action of bodies) {
      const msg = rejection({ actions: [okAction, action] });
      expect(msg).toMatch(/^actions\.1\.value: /);
      expect(msg).toMatch(refused);
    }
  });

  test('as a capability name', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      expect(rejection({ actions: [{ action: 'set-capability', name, value: 1 }] })).toMatch(/^actions\.0\.name: /);
    }
  });

  test.each([
    ['{"__proto__": {"polluted": true}}', '"__proto__" is not allowed as a key (value)'],
    ['{"a": {"constructor": 1}}', '"constructor" is not allowed as a key (value.a)'],
    ['[1, {"prototype": 1}]', '"prototype" is not allowed as a key (value[1])'],
  ])('as a key of a value %s', (json, why) => {
    const value = JSON.parse(json) as unknown;
    for (const action of ['set-attribute', 'extend-attribute']) {
      expect(rejection({ actions: [{ action, path: '/extra/a', value }] })).toBe(`actions.0.value: ${why}`);
    }
    expect(rejection({ conditions: [{ op: 'eq', field: 'a', value }], actions: [okAction] })).toMatch(/^conditions\.0\.value: .* is not allowed/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('parseRule keeps rules away from node secrets', () => {
  test.each([
    'node://driver_info.ipmi_password',
    'node://driver_info',
    'node://$.driver_info.ipmi_password',
    "node://['driver_info'].ipmi_password",
    'node://driver_internal_info.agent_secret_token',
  ])('condition field %j', (field) => {
    expect(rejection({ conditions: [{ op: 'eq', field, value: 'x' }], actions: [okAction] })).toMatch(
      /^conditions\.0\.field: field ".*": node driver(_internal)?_info may hold credentials and cannot be read by rules$/,
    );
  });

  test.each(['node://*', 'node://*.ipmi_password', 'node://[0]'])('condition field %j (the whole node)', (field) => {
    expect(rejection({ conditions: [{ op: 'is-empty', field }], actions: [okAction] })).toMatch(
      /^conditions\.0\.field: .*must start with the name of a node field/,
    );
  });

  test.each(['{node[driver_info][ipmi_password]}', '{node.driver_info.ipmi_password}', 'pw={node[driver_info]}', '{node}'])(
    'formatting field %j',
    (template) => {
      for (const action of [
        { action: 'set-attribute', path: '/properties/pw', value: template },
        { action: 'extend-attribute', path: '/extra/pw', value: { k: template } },
        { action: 'set-capability', name: 'pw', value: template },
      ]) {
        expect(rejection({ actions: [action] })).toMatch(/^actions\.0\.value: formatting field ".*": (node driver_info may hold credentials|must start)/);
      }
    },
  );

  test.each(['/driver/x', '/driver'])('writes to %j', (path) => {
    for (const action of ['set-attribute', 'extend-attribute']) {
      expect(rejection({ actions: [{ action, path, value: 'x' }] })).toMatch(
        /^actions\.0\.path: path ".*" is not allowed: rules may only write \/properties\/\.\.\., \/extra\/\.\.\. or \/driver_info\/<key>/,
      );
    }
  });

  test('driver_info: set-attribute may set a credential (discovery), never where the BMC is; no action reads it', () => {
    expect(parseRule({ actions: [{ action: 'set-attribute', path: '/driver_info/ipmi_password', value: 'x' }] }).actions).toHaveLength(1);
    expect(rejection({ actions: [{ action: 'extend-attribute', path: '/driver_info/ipmi_password', value: 'x' }] })).toMatch(
      /^actions\.0\.path: .*driver_info cannot be read by rules, only set by set-attribute/,
    );
    expect(rejection({ actions: [{ action: 'set-attribute', path: '/driver_info', value: 'x' }] })).toMatch(/must name a key below \/driver_info\//);
    expect(rejection({ actions: [{ action: 'set-attribute', path: '/driver_info/redfish_address', value: 'x' }] })).toMatch(/never from a rule/);
  });

  test('the node fields rules use are still readable', () => {
    const rule = parseRule({
      conditions: [{ op: 'ge', field: 'node://properties.memory_mb', value: 1 }, { op: 'is-empty', field: 'data://driver_info' }],
      actions: [{ action: 'set-attribute', path: '/extra/x', value: '{node[properties][memory_mb]} {node.uuid} {data[inventory]}' }],
    });
    expect(rule.conditions).toHaveLength(2);
  });
});

describe('templates are checked when the rule is created', () => {
  test.each([
    ['a { b', /single "\{"/],
    ['a } b', /single "\}"/],
    ['{foo}', /invalid formatting variable key "foo"/],
    ['{data[a]!r}', /not supported/],
    ['{data[]}', /empty key/],
    ['{data[a}', /unterminated/],
  ])('%j', (value, why) => {
    const msg = rejection({ actions: [{ action: 'set-attribute', path: '/extra/a', value }] });
    expect(msg).toMatch(/^actions\.0\.value: /);
    expect(msg).toMatch(why);
  });
});
