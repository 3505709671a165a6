// introspector node create|list|show|manage|provide — the node API (Ironic-shaped).

import { promises as fs } from 'node:fs';
import { type Command, Option } from 'commander';
import { CommandFailed, type Context, EXIT, UsageError } from '../context';
import { formatDuration, renderFields, renderTable } from '../format';
import { seg } from '../http';
import { collectKeyValue, collectMac, positiveInt, positiveSeconds, tcpPort } from '../options';
import { PollErrors } from '../poll';

export interface NodeBody {
  uuid: string;
  name?: string | null;
  driver?: string;
  driver_info?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  provision_state?: string;
  target_provision_state?: string | null;
  power_state?: string | null;
  last_error?: string | null;
  [key: string]: unknown;
}

interface CreateOptions {
  name: string;
  driver: string;
  ipmiAddress: string;
  ipmiPort?: number;
  ipmiUsername?: string;
  ipmiPassword?: string;
  ipmiPasswordEnv?: string;
  ipmiPasswordFile?: string;
  mac?: string[];
  property?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  resourceClass?: string;
}

export const PROVISION_POLL_MS = 1000;
export const DEFAULT_PROVISION_WAIT_SECONDS = 60;

/** Field order for `node show`; anything else the server sends comes after. */
const SHOW_FIELDS = [
  'uuid',
  'name',
  'driver',
  'provision_state',
  'target_provision_state',
  'power_state',
  'maintenance',
  'resource_class',
  'last_error',
  'driver_info',
  'properties',
  'extra',
  'traits',
  'inspection_started_at',
  'inspection_finished_at',
  'created_at',
  'updated_at',
];
const HIDDEN_FIELDS = new Set(['links', 'ports']);

export function nodeFields(node: Record<string, unknown>): [string, unknown][] {
  const known = SHOW_FIELDS.filter((f) => f in node).map((f): [string, unknown] => [f, node[f]]);
  const rest = Object.keys(node)
    .filter((k) => !SHOW_FIELDS.includes(k) && !HIDDEN_FIELDS.has(k))
    .map((k): [string, unknown] => [k, node[k]]);
  return [...known, ...rest];
}

async function readPassword(ctx: Context, opts: CreateOptions): Promise<string | undefined> {
  if (opts.ipmiPassword !== undefined) {
    // Never echo it back: it is already in the shell history and ps.
    throw new UsageError(
      '--ipmi-password is not accepted: a password on the command line shows in ps and the shell history; ' +
        'use --ipmi-password-env VAR or --ipmi-password-file FILE',
    );
  }
  if (opts.ipmiPasswordEnv !== undefined) {
    const value = ctx.io.env[opts.ipmiPasswordEnv];
    if (value === undefined) {
      throw new UsageError(`--ipmi-password-env: the environment variable ${opts.ipmiPasswordEnv} is not set`);
    }
    return value;
  }
  if (opts.ipmiPasswordFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(opts.ipmiPasswordFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--ipmi-password-file: cannot read ${opts.ipmiPasswordFile}: ${(err as Error).message}`);
    }
    const password = text.replace(/\r?\n$/, '');
    if (/[\r\n]/.test(password)) {
      throw new UsageError(`--ipmi-password-file: ${opts.ipmiPasswordFile} must hold the password on a single line`);
    }
    return password;
  }
  return undefined;
}

async function createNode(ctx: Context, opts: CreateOptions): Promise<void> {
  const password = await readPassword(ctx, opts);
  const driverInfo: Record<string, unknown> = { ipmi_address: opts.ipmiAddress };
  if (opts.ipmiPort !== undefined) driverInfo.ipmi_port = opts.ipmiPort;
  if (opts.ipmiUsername !== undefined) driverInfo.ipmi_username = opts.ipmiUsername;
  if (password !== undefined) driverInfo.ipmi_password = password;
  const body: Record<string, unknown> = {
    name: opts.name,
    driver: opts.driver,
    driver_info: driverInfo,
    properties: opts.property ?? {},
    extra: opts.extra ?? {},
  };
  if (opts.resourceClass !== undefined) body.resource_class = opts.resourceClass;

  const node = await ctx.nodes.post<NodeBody>('/v1/nodes', body);
  const ports: Record<string, unknown>[] = [];
  const failures: string[] = [];
  for (const mac of opts.mac ?? []) {
    try {
      ports.push(await ctx.nodes.post<Record<string, unknown>>('/v1/ports', { node_uuid: node.uuid, address: mac }));
    } catch (err) {
      failures.push(`port ${mac}: ${(err as Error).message}`);
    }
  }

  if (ctx.json) ctx.printJson({ node, ports });
  else {
    ctx.out(`Created node ${node.name ?? node.uuid} (${node.uuid})`);
    ctx.out(renderFields([...nodeFields(node), ['ports', ports.map((p) => p.address).join(', ')]]));
  }
  if (failures.length > 0) {
    for (const f of failures) ctx.err(`error: ${f}`);
    throw new CommandFailed(`node ${node.uuid} was created but ${failures.length} of its ports were not`);
  }
}

interface ListOptions {
  provisionState?: string;
  resourceClass?: string;
  limit?: number;
}

async function listNodes(ctx: Context, opts: ListOptions): Promise<void> {
  const body = await ctx.nodes.get<{ nodes: NodeBody[] }>('/v1/nodes', {
    query: { detail: true, provision_state: opts.provisionState, resource_class: opts.resourceClass, limit: opts.limit },
  });
  if (ctx.json) return ctx.printJson(body);
  const rows = (body?.nodes ?? []).map((n) => {
    const p = n.properties ?? {};
    return [n.uuid, n.name, n.provision_state, n.power_state, p.cpus, p.memory_mb, p.local_gb];
  });
  ctx.out(renderTable(['uuid', 'name', 'provision state', 'power', 'cpus', 'memory_mb', 'local_gb'], rows));
}

async function showNode(ctx: Context, ident: string): Promise<void> {
  const node = await ctx.nodes.get<NodeBody>(`/v1/nodes/${seg(ident)}`);
  if (ctx.json) return ctx.printJson(node);
  ctx.out(renderFields(nodeFields(node)));
}

/**
 * PUT the provision target, then poll until the transition is over
 * (target_provision_state null) or `waitSeconds` pass.
 */
async function setProvisionState(ctx: Context, ident: string, target: 'manage' | 'provide', waitSeconds: number) {
  await ctx.nodes.put(`/v1/nodes/${seg(ident)}/states/provision`, { target });
  const started = ctx.io.now();
  const deadline = started + waitSeconds * 1000;
  let node: NodeBody | undefined;
  let timedOut = false;
  const errors = new PollErrors(ctx.io.now);
  const interrupted = await ctx.interruptible(async (signal) => {
    for (;;) {
      try {
        node = await ctx.nodes.get<NodeBody>(`/v1/nodes/${seg(ident)}`, { signal });
        errors.ok();
        if (!node.target_provision_state) return;
      } catch (err) {
        ctx.err(errors.absorb(err));
      }
      if (ctx.io.now() >= deadline) {
        timedOut = true;
        return;
      }
      await ctx.io.sleep(PROVISION_POLL_MS, signal);
      if (signal.aborted) return;
    }
  });

  const name = node?.name ?? ident;
  if (interrupted) {
    ctx.err(`Stopped waiting; node ${name} goes on to "${target}" on the server. Check it with: introspector node show ${ident}`);
    ctx.exitCode = EXIT.INTERRUPTED;
    return;
  }
  if (ctx.json && node) ctx.printJson(node);
  if (timedOut) {
    throw new CommandFailed(
      `node ${name} is still in "${node?.provision_state ?? 'unknown'}" going to "${node?.target_provision_state ?? target}" ` +
        `after ${formatDuration(ctx.io.now() - started)} (--wait-timeout ${waitSeconds})`,
    );
  }
  if (!ctx.json) ctx.out(`Node ${name}: provision state ${node?.provision_state ?? 'unknown'}`);
  if (node?.last_error) throw new CommandFailed(`node ${name}: last error: ${node.last_error}`);
}

export function registerNodeCommands(program: Command, ctx: Context): void {
  const node = program.command('node').description('enroll and manage nodes (node API)');

  node
    .command('create')
    .description('enroll a node by its BMC; the password comes from an environment variable or a file, never a flag')
    .requiredOption('--name <name>', 'node name')
    .addOption(new Option('--driver <driver>', 'BMC driver').choices(['ipmi']).default('ipmi'))
    .requiredOption('--ipmi-address <address>', 'BMC host name or IP address')
    .option('--ipmi-port <port>', 'BMC UDP port (server default 623)', tcpPort)
    .option('--ipmi-username <user>', 'BMC user name')
    .addOption(
      new Option('--ipmi-password-env <var>', 'read the BMC password from this environment variable').conflicts(
        'ipmiPasswordFile',
      ),
    )
    .option('--ipmi-password-file <file>', 'read the BMC password from this file (one line)')
    .addOption(new Option('--ipmi-password <password>').hideHelp())
    .option('--mac <mac>', 'a MAC address of the node; creates a port (repeatable)', collectMac)
    .option('--property <key=value>', 'a node property, e.g. cpu_arch=x86_64 (repeatable)', collectKeyValue)
    .option('--extra <key=value>', 'an extra field, e.g. rack=r1 (repeatable)', collectKeyValue)
    .option('--resource-class <class>', 'resource class')
    .action((opts: CreateOptions) => createNode(ctx, opts));

  node
    .command('list')
    .description('list nodes')
    .option('--provision-state <state>', 'only nodes in this provision state')
    .option('--resource-class <class>', 'only nodes of this resource class')
    .option('--limit <n>', 'at most this many nodes', positiveInt)
    .action((opts: ListOptions) => listNodes(ctx, opts));

  node
    .command('show')
    .description('show a node (secrets appear as ******)')
    .argument('<node>', 'node uuid or name')
    .action((ident: string) => showNode(ctx, ident));

  for (const [name, target, what] of [
    ['manage', 'manage', 'move a node to manageable (checks BMC access)'],
    ['provide', 'provide', 'move a node to available'],
  ] as const) {
    node
      .command(name)
      .description(`${what}; waits for the transition to end`)
      .argument('<node>', 'node uuid or name')
      .option(
        '--wait-timeout <seconds>',
        'give up waiting after this long',
        positiveSeconds,
        DEFAULT_PROVISION_WAIT_SECONDS,
      )
      .action((ident: string, opts: { waitTimeout: number }) => setProvisionState(ctx, ident, target, opts.waitTimeout));
  }
}
