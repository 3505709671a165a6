// introspector nodes query '<expr>' — the nodes whose latest introspection data an expression
// holds on (inspector API, GET /v1/fleet/query; the language: README "Fleet queries").

import type { Command } from 'commander';
import type { Context } from '../context';
import { renderTable } from '../format';
import { positiveInt } from '../options';

interface FleetMatch {
  uuid: string;
  name: string | null;
  fields: Record<string, unknown>;
}

interface FleetAnswer {
  nodes: FleetMatch[];
  next?: string;
}

async function queryNodes(ctx: Context, expr: string, opts: { limit?: number; marker?: string; all?: boolean }): Promise<void> {
  const nodes: FleetMatch[] = [];
  let marker = opts.marker;
  let next: string | undefined;
  do {
    const page = await ctx.inspector.get<FleetAnswer>('/v1/fleet/query', { query: { expr, limit: opts.limit, marker } });
    nodes.push(...page.nodes);
    next = page.next;
    marker = next;
  } while (opts.all && next);
  if (ctx.json) return ctx.printJson(next ? { nodes, next } : { nodes });
  const fields = [...new Set(nodes.flatMap((n) => Object.keys(n.fields)))];
  ctx.out(renderTable(['uuid', 'name', ...fields], nodes.map((n) => [n.uuid, n.name, ...fields.map((f) => n.fields[f])])));
  if (next) ctx.err(`more nodes match: add --marker ${next} (or --all)`);
}

export function registerNodesQueryCommand(program: Command, ctx: Context): void {
  program
    .command('nodes')
    .description('fleet-wide questions over every node (inspector API)')
    .command('query')
    .description(`nodes whose latest introspection data matches an expression, e.g. 'count(disks) >= 4 and memory_mb < 262144'`)
    .argument('<expr>', 'the expression (README: Fleet queries)')
    .option('--limit <n>', 'nodes per page (at most 1000; default 100)', positiveInt)
    .option('--marker <uuid>', 'start after this node (the uuid the previous page named)')
    .option('--all', 'fetch every page')
    .action((expr: string, opts: { limit?: number; marker?: string; all?: boolean }) => queryNodes(ctx, expr, opts));
}
