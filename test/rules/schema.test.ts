import { parseRule, RuleSchema, RuleValidationError } from '../../activities/rules/schema';

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
    expect(rejection({ conditions: [{ op: 'matches', field: 'a', value: '((' }], actions: [okAction] })).toMatch(
      /^conditions\.0\.value: invalid regular expression "\(\(": /,
    );
    expect(rejection({ conditions: [{ op: 'contains', field: 'a', value: '(?x)a b' }], actions: [okAction] })).toMatch(
      /^conditions\.0\.value: invalid regular expression/,
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
