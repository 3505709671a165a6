// introspector report --bulk ID — a bulk run's acceptance report per rack: a table, --json, or
// --csv (one row per difference) for a spreadsheet.

import type { Command } from 'commander';
import type { AcceptanceReport, RackReport } from '../../common/acceptance-result';
import type { Context } from '../context';
import { renderTable } from '../format';
import { seg } from '../http';

const CSV_HEADER = ['rack', 'node', 'uuid', 'profile', 'field', 'expected', 'actual'];

/**
 * RFC 4180: a field with a comma, quote, CR or LF in quotes, quotes doubled. A field a spreadsheet
 * would run as a formula (= + - @ first; switch names come from LLDP) gets a leading `'`.
 */
export function csvField(value: string | null): string {
  let v = value ?? '';
  if (v && '=+-@\t\r'.includes(v[0])) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

const rackName = (r: RackReport) => r.rack ?? '(no rack)';

export function formatReportCsv(report: AcceptanceReport): string {
  const rows = [CSV_HEADER];
  for (const r of report.racks) {
    for (const n of r.non_conforming_nodes) {
      for (const d of n.differences) rows.push([r.rack ?? '', n.name ?? '', n.uuid, n.profile ?? '', d.field, d.expected, d.actual]);
    }
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function formatReportTable(report: AcceptanceReport): string {
  const parts = [`Acceptance report of bulk introspection ${report.bulk_id} (${report.state})\n`];
  parts.push(
    renderTable(
      ['rack', 'conforming', 'not conforming', 'not checked', 'failed', 'skipped', 'in progress'],
      report.racks.map((r) => [rackName(r), r.conforming, r.not_conforming, r.not_checked, r.failed_introspection, r.skipped, r.in_progress]),
    ),
  );
  const differences = report.racks.flatMap((r) => r.non_conforming_nodes.flatMap((n) => n.differences.map((d) => [rackName(r), n.name ?? n.uuid, n.profile, d.field, d.expected, d.actual])));
  if (differences.length) parts.push(`Not conforming (${differences.length} differences):\n` + renderTable(['rack', 'node', 'profile', 'field', 'expected', 'actual'], differences));
  const miscabled = report.racks.flatMap((r) =>
    r.miscabled_ports.map((m) => [rackName(r), m.name ?? m.uuid, m.nic, `${m.expected_switch} ${m.expected_port}`, m.seen_switch === null && m.seen_port === null ? 'no LLDP neighbour' : `${m.seen_switch ?? '?'} ${m.seen_port ?? '?'}`]),
  );
  if (miscabled.length) parts.push(`Miscabled ports (${miscabled.length}):\n` + renderTable(['rack', 'node', 'nic', 'expected', 'seen'], miscabled));
  const failed = report.racks.flatMap((r) => r.failed_nodes.map((n) => [rackName(r), n.name ?? n.uuid, n.error]));
  if (failed.length) parts.push(`Failed introspection (${failed.length}):\n` + renderTable(['rack', 'node', 'error'], failed));
  return parts.join('\n');
}

export function registerReportCommand(program: Command, ctx: Context): void {
  program
    .command('report')
    .description("A bulk introspection's acceptance report per rack: conforming, not conforming and why, miscabled ports")
    .requiredOption('--bulk <id>', 'the bulk introspection')
    .option('--csv', 'one CSV row per difference (RFC 4180), for a spreadsheet')
    .addHelpText('after', '\nExit status: 0 when every node checked conforms; 1 when any does not, or its introspection failed.')
    .action(async (opts: { bulk: string; csv?: boolean }) => {
      const report = await ctx.inspector.get<AcceptanceReport>(`/v1/introspection/bulk/${seg(opts.bulk)}/report`);
      if (report.racks.some((r) => r.not_conforming > 0 || r.failed_introspection > 0)) ctx.fail();
      if (ctx.json) ctx.printJson(report);
      else if (opts.csv) ctx.io.stdout.write(formatReportCsv(report));
      else ctx.out(formatReportTable(report));
    });
}
