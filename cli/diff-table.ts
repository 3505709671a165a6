import type { HardwareDiff } from '../common/hardware-diff';
import { renderTable } from './format';

/** A hardware diff as an aligned table (section, change, what, from, to); `no hardware change` when empty. */
export function formatDiff(diff: HardwareDiff): string {
  const unknown = diff.unknown.length > 0 ? `not compared (missing on one side): ${diff.unknown.join(', ')}\n` : '';
  if (diff.changes.length === 0) return `no hardware change\n${unknown}`;
  const rows = diff.changes.map((c) => [c.section, c.kind, c.what, c.from, c.to]);
  return renderTable(['section', 'change', 'what', 'from', 'to'], rows) + unknown;
}
