import { formatDiff } from '../../cli/diff-table';
import { diffHardware, type HardwareDiff } from '../../common/hardware-diff';
import { loadPayload } from '../hooks/helpers';

describe('formatDiff', () => {
  test('no change: one line, and what could not be compared', () => {
    expect(formatDiff({ changes: [], unknown: [] })).toBe('no hardware change\n');
    expect(formatDiff({ changes: [], unknown: ['dimms', 'firmware.bmc'] })).toBe(
      'no hardware change\nnot compared (missing on one side): dimms, firmware.bmc\n',
    );
  });

  test('an aligned table: section, change, what, from, to; absent values as -', () => {
    const diff: HardwareDiff = {
      changes: [
        { section: 'memory', kind: 'changed', what: 'total_mb', from: 16384, to: 8192 },
        { section: 'dimms', kind: 'removed', what: 'P0/B1', from: '16 GiB', to: null },
        { section: 'disks', kind: 'replaced', what: 'sdb', from: 'W470ABCD', to: 'Z1Z2Z3' },
      ],
      unknown: [],
    };
    expect(formatDiff(diff)).toBe(
      [
        'SECTION  CHANGE    WHAT      FROM      TO',
        'memory   changed   total_mb  16384     8192',
        'dimms    removed   P0/B1     16 GiB    -',
        'disks    replaced  sdb       W470ABCD  Z1Z2Z3',
        '',
      ].join('\n'),
    );
  });

  test('a real diff: one row per change, columns aligned', () => {
    const a = loadPayload() as Record<string, any>;
    const b = structuredClone(a);
    b.inventory.interfaces[1].speed_mbps = 25000;
    b.inventory.disks[0].size = 960 * 1000 ** 3;
    const lines = formatDiff(diffHardware(a, b)).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const to = lines[0].indexOf('TO');
    expect(lines.slice(1, 3).map((l) => l.slice(to))).toEqual(['894.1 GiB', '25000']);
    expect(lines[3]).toBe('not compared (missing on one side): dimms, firmware.bmc');
  });
});
