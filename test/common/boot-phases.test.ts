import {
  BOOT_PHASES,
  countByPhase,
  describeFailuresByPhase,
  describeStop,
  lastPhase,
  largestGroupsFirst,
  phaseLabel,
  phaseList,
  stopHint,
} from '../../common/boot-phases';

// How far a boot got, and what stopping there usually means.

const at = (s: number) => new Date(Date.UTC(2025, 2, 1, 10, 0, s)).toISOString();

test('the furthest phase counts, whatever order the reports came in; the list is in boot order', () => {
  const times = { ramdisk_fetched: at(9), powered_on: at(1), script_fetched: at(4) };
  expect(lastPhase(times)).toBe('ramdisk_fetched');
  expect(phaseList(times).map((p) => p.phase)).toEqual(['powered_on', 'script_fetched', 'ramdisk_fetched']);
  expect(lastPhase({})).toBeNull();
});

test('every phase but the last has a hint; the first ones say what the issue says', () => {
  expect(BOOT_PHASES.filter((p) => stopHint(p) === null)).toEqual(['data_delivered']);
  expect(stopHint('powered_on')).toMatch(/^PXE never reached us: check DHCP and the provisioning VLAN/);
  expect(stopHint('ramdisk_fetched')).toMatch(/^ramdisk fetched but no agent: read the console log/);
  expect(stopHint('agent_started')).toMatch(/the agent failed collecting or could not post, see its logs/);
  expect(stopHint(null)).toBeNull();
  expect(BOOT_PHASES.map(phaseLabel)).toEqual(['power-on accepted', 'iPXE script fetched', 'kernel fetched', 'ramdisk fetched', 'agent started', 'data delivered']);
});

test('where a boot stopped, for an error message', () => {
  expect(describeStop({ powered_on: at(1), script_fetched: at(4) })).toBe(
    `the last boot stopped after iPXE script fetched at ${at(4)}: ${stopHint('script_fetched')}`,
  );
  expect(describeStop({})).toBe('the last boot was never powered on');
});

test('failures grouped by phase: never powered on counts as none; most first, ties in boot order', () => {
  const counts = countByPhase(['ramdisk_fetched', null, 'powered_on', undefined, 'powered_on', 'agent_started']);
  expect(counts).toEqual({ ramdisk_fetched: 1, none: 2, powered_on: 2, agent_started: 1 });
  expect(largestGroupsFirst(counts).map(([phase]) => phase)).toEqual(['none', 'powered_on', 'ramdisk_fetched', 'agent_started']);
  expect(describeFailuresByPhase(counts)).toBe('2 never powered on, 2 after power-on accepted, 1 after ramdisk fetched, 1 after agent started');
});
