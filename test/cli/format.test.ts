import { cell, elapsedMs, formatDuration, formatElapsed, humanizeDetail, renderFields, renderTable } from '../../cli/format';

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [999, '0s'],
    [42_000, '42s'],
    [60_000, '1m00s'],
    [252_000, '4m12s'],
    [3_600_000, '1h00m'],
    [3_900_000 + 59_000, '1h05m'],
    [86_400_000 + 3 * 3_600_000, '1d03h'],
    [-5_000, '0s'],
    [Number.NaN, '0s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

test('elapsed between ISO times or until now; unknown start gives -', () => {
  const now = Date.parse('2025-03-01T10:04:12Z');
  expect(elapsedMs('2025-03-01T10:00:00Z', null, now)).toBe(252_000);
  expect(formatElapsed('2025-03-01T10:00:00Z', null, now)).toBe('4m12s');
  expect(formatElapsed('2025-03-01T10:00:00Z', '2025-03-01T10:00:30Z', now)).toBe('30s');
  expect(formatElapsed(null, null, now)).toBe('-');
  expect(formatElapsed('not a date', null, now)).toBe('-');
});

test('cells: empty as -, objects as compact JSON, newlines flattened', () => {
  expect(cell(null)).toBe('-');
  expect(cell(undefined)).toBe('-');
  expect(cell('')).toBe('-');
  expect(cell(0)).toBe('0');
  expect(cell(false)).toBe('false');
  expect(cell({ a: 1 })).toBe('{"a":1}');
  expect(cell('line one\n  line two')).toBe('line one line two');
});

test('tables align columns under capital headers without trailing blanks', () => {
  const text = renderTable(
    ['uuid', 'name', 'cpus'],
    [
      ['1111', 'rack1-u07', 8],
      ['22222222', null, undefined],
    ],
  );
  expect(text).toBe(['UUID      NAME       CPUS', '1111      rack1-u07  8', '22222222  -          -', ''].join('\n'));
});

test('an empty table is just the header', () => {
  expect(renderTable(['uuid', 'state'], [])).toBe('UUID  STATE\n');
});

test('fields align values after the names', () => {
  expect(
    renderFields([
      ['uuid', 'abc'],
      ['provision_state', 'manageable'],
      ['driver_info', { ipmi_password: '******' }],
    ]),
  ).toBe(['uuid:             abc', 'provision_state:  manageable', 'driver_info:      {"ipmi_password":"******"}', ''].join('\n'));
});

test('humanizeDetail makes the server timestamps relative', () => {
  const now = Date.parse('2026-01-01T10:04:12.000Z');
  expect(humanizeDetail('waiting for agent, boot attempt 2/3, powered on at 2026-01-01T10:00:00.000Z', now)).toBe(
    'waiting for agent, boot attempt 2/3, powered on 4m12s ago',
  );
  expect(humanizeDetail('running processing hooks and rules', now)).toBe('running processing hooks and rules');
});
