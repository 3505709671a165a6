// introspector rule import|list|show|delete|purge — introspection rules (inspector API).

import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { CommandFailed, type Context, UsageError } from '../context';
import { renderTable, toJson } from '../format';
import { seg } from '../http';

interface RuleSummary {
  uuid: string;
  description?: string | null;
  [key: string]: unknown;
}

/** The rules in a file: one rule object, or a list of them. */
export async function readRulesFile(file: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const rules = Array.isArray(parsed) ? parsed : [parsed];
  rules.forEach((rule, i) => {
    if (!rule || typeof rule !== 'object' || Array.isArray(rule)) {
      throw new UsageError(`${file}: ${Array.isArray(parsed) ? `item ${i + 1}` : 'the document'} is not a rule object`);
    }
  });
  return rules as Record<string, unknown>[];
}

async function importRules(ctx: Context, file: string): Promise<void> {
  const rules = await readRulesFile(file);
  const created: RuleSummary[] = [];
  for (const [i, rule] of rules.entries()) {
    try {
      created.push(await ctx.inspector.post<RuleSummary>('/v1/rules', rule));
    } catch (err) {
      const what = typeof rule.description === 'string' ? ` ("${rule.description}")` : '';
      if (created.length > 0) report(ctx, created);
      throw new CommandFailed(
        `rule ${i + 1} of ${rules.length}${what} was rejected: ${(err as Error).message}` +
          (created.length > 0 ? ` (the ${created.length} before it were imported)` : ''),
      );
    }
  }
  report(ctx, created);
}

function report(ctx: Context, rules: RuleSummary[]): void {
  if (ctx.json) ctx.printJson(rules);
  else ctx.out(`Imported ${rules.length} rule${rules.length === 1 ? '' : 's'}\n` + renderTable(['uuid', 'description'], rules.map((r) => [r.uuid, r.description])));
}

async function listRules(ctx: Context): Promise<void> {
  const body = await ctx.inspector.get<{ rules: RuleSummary[] }>('/v1/rules');
  if (ctx.json) return ctx.printJson(body);
  ctx.out(renderTable(['uuid', 'description'], (body?.rules ?? []).map((r) => [r.uuid, r.description])));
}

async function showRule(ctx: Context, uuid: string): Promise<void> {
  // A rule is a JSON document: shown as JSON in both modes.
  ctx.io.stdout.write(toJson(await ctx.inspector.get(`/v1/rules/${seg(uuid)}`)));
}

async function deleteRule(ctx: Context, uuid: string): Promise<void> {
  await ctx.inspector.delete(`/v1/rules/${seg(uuid)}`);
  if (ctx.json) ctx.printJson({ uuid, deleted: true });
  else ctx.out(`Deleted rule ${uuid}`);
}

async function purgeRules(ctx: Context): Promise<void> {
  await ctx.inspector.delete('/v1/rules');
  if (ctx.json) ctx.printJson({ purged: true });
  else ctx.out('Deleted all rules');
}

export function registerRuleCommands(program: Command, ctx: Context): void {
  const rule = program.command('rule').description('introspection rules (inspector API)');
  rule
    .command('import')
    .description('create the rules in a JSON file (one rule object or a list); stops at the first rejected one')
    .argument('<file>', 'JSON file')
    .action((file: string) => importRules(ctx, file));
  rule.command('list').description('list rules').action(() => listRules(ctx));
  rule
    .command('show')
    .description('show a rule as JSON')
    .argument('<uuid>', 'rule uuid')
    .action((uuid: string) => showRule(ctx, uuid));
  rule
    .command('delete')
    .description('delete a rule')
    .argument('<uuid>', 'rule uuid')
    .action((uuid: string) => deleteRule(ctx, uuid));
  rule.command('purge').description('delete every rule').action(() => purgeRules(ctx));
}
