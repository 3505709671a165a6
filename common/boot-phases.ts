// How far a node's boot got, and what stopping there usually means. Shared by the workflow
// (which records the phases), the API (which reports them) and the CLI; no Node APIs here, as
// workflow code imports it.

/** The phases of one boot, in the order a node reaches them. */
export const BOOT_PHASES = ['powered_on', 'script_fetched', 'kernel_fetched', 'ramdisk_fetched', 'agent_started', 'data_delivered'] as const;
export type BootPhase = (typeof BOOT_PHASES)[number];

/** The phases the boot service and the agent report (the workflow sees the others itself). */
export const REPORTED_PHASES = ['script_fetched', 'kernel_fetched', 'ramdisk_fetched', 'agent_started'] as const satisfies readonly BootPhase[];
export type ReportedPhase = (typeof REPORTED_PHASES)[number];

/** When each phase was reached (ISO times). */
export type BootPhaseTimes = Partial<Record<BootPhase, string>>;

const PHASES: Record<BootPhase, { label: string; hint: string | null }> = {
  powered_on: {
    label: 'power-on accepted',
    hint: "PXE never reached us: check DHCP and the provisioning VLAN, and that the node's PXE MAC is enrolled as a port",
  },
  script_fetched: {
    label: 'iPXE script fetched',
    hint: 'iPXE script fetched but no kernel: iPXE could not fetch over HTTP from the boot service; read the console log',
  },
  kernel_fetched: {
    label: 'kernel fetched',
    hint: 'kernel fetched but no ramdisk: its download broke off or did not fit in memory; read the console log',
  },
  ramdisk_fetched: {
    label: 'ramdisk fetched',
    hint: 'ramdisk fetched but no agent: read the console log (the kernel, the network setup or the agent failed, or the agent cannot reach the callback URL)',
  },
  agent_started: {
    label: 'agent started',
    hint: 'agent started but no data: the agent failed collecting or could not post, see its logs',
  },
  data_delivered: { label: 'data delivered', hint: null },
};

export const phaseLabel = (phase: BootPhase): string => PHASES[phase].label;

/** What a boot that stopped after `phase` usually means; null when it got its data (or never powered on). */
export const stopHint = (phase: BootPhase | null): string | null => (phase ? PHASES[phase].hint : null);

/** The furthest phase reached (by boot order, whatever order the reports came in), or null. */
export function lastPhase(times: BootPhaseTimes): BootPhase | null {
  return [...BOOT_PHASES].reverse().find((phase) => times[phase] !== undefined) ?? null;
}

/** The phases reached, in boot order. */
export function phaseList(times: BootPhaseTimes): { phase: BootPhase; at: string }[] {
  return BOOT_PHASES.filter((phase) => times[phase] !== undefined).map((phase) => ({ phase, at: times[phase]! }));
}

/** "ramdisk fetched at <time>" (or that the node was never powered on). */
export function describeLastPhase(times: BootPhaseTimes): string {
  const phase = lastPhase(times);
  return phase ? `${phaseLabel(phase)} at ${times[phase]}` : 'not powered on';
}

/** Where a boot stopped and what that usually means, for error messages. */
export function describeStop(times: BootPhaseTimes): string {
  const phase = lastPhase(times);
  if (!phase) return 'the last boot was never powered on';
  const hint = stopHint(phase);
  return `the last boot stopped after ${describeLastPhase(times)}${hint ? `: ${hint}` : ''}`;
}

/** How failures group by the phase their last boot reached: `none` for a node never powered on (or not known). */
export type FailuresByPhase = Partial<Record<BootPhase | 'none', number>>;

export function countByPhase(phases: (BootPhase | null | undefined)[]): FailuresByPhase {
  const counts: FailuresByPhase = {};
  for (const phase of phases) counts[phase ?? 'none'] = (counts[phase ?? 'none'] ?? 0) + 1;
  return counts;
}

const GROUP_ORDER: readonly string[] = ['none', ...BOOT_PHASES];

/** The groups of failures, most first, ties in boot order. */
export function largestGroupsFirst<K extends string>(counts: Partial<Record<K, number>>): [K, number][] {
  return (Object.entries(counts) as [K, number][]).sort((a, b) => b[1] - a[1] || GROUP_ORDER.indexOf(a[0]) - GROUP_ORDER.indexOf(b[0]));
}

/** "2 after power-on accepted, 1 never powered on". */
export function describeFailuresByPhase(counts: FailuresByPhase): string {
  return largestGroupsFirst(counts)
    .map(([phase, n]) => `${n} ${phase === 'none' ? 'never powered on' : `after ${phaseLabel(phase)}`}`)
    .join(', ');
}

export const isBootPhase = (value: unknown): value is BootPhase => (BOOT_PHASES as readonly unknown[]).includes(value);
