// introspector-agent: collects hardware facts on the machine being introspected
// and posts them to the inspector callback (POST /v1/continue), like
// ironic-python-agent's inspection; with a run token it first reports that it
// started (POST /v1/continue/started). Run: npx tsx agent/main.ts --help
//
// Exit codes: 0 delivered (or printed with --dry-run), 1 collection broke
// (an {error} payload is still sent), 2 bad settings, 3 delivery rejected
// (4xx), 4 delivery deadline exceeded.

import { promises as fs } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { runCollectors } from './collect';
import { COLLECTOR_NAMES } from './collectors';
import { type CollectorContext, type ContextOptions, createContext } from './context';
import { type DeliverOptions, deliver } from './deliver';
import { type Logger, createLogger, redactUrl } from './log';
import { tokenRedactor } from './redact';
import { DEFAULT_CMDLINE_FILE, DEFAULT_DEADLINE_SECONDS, type FlagValues, SettingsError, resolveSettings } from './settings';
import { reportStarted } from './started';
import { AGENT_VERSION } from './version';

export const EXIT = { OK: 0, COLLECTION_FAILED: 1, BAD_SETTINGS: 2, REJECTED: 3, DEADLINE: 4 } as const;

export interface MainDeps {
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void | Promise<void>;
  log?: Logger;
  /** Overrides for the collector context (tests: fake root, no host tools). */
  context?: ContextOptions;
  /** Overrides for delivery (tests: small backoff). */
  delivery?: Partial<DeliverOptions>;
}

function buildProgram(): Command {
  return new Command()
    .name('introspector-agent')
    .description('Collect hardware facts and post them to the introspection callback URL')
    .version(AGENT_VERSION)
    .option('--callback-url <url>', 'where to POST the data, e.g. http://10.0.0.1:5050/v1/continue')
    .option('--collectors <list>', `comma-separated collectors (${COLLECTOR_NAMES.join(', ')}); default: default`)
    .option('--bmc-address <ip>', 'report this BMC address instead of asking ipmitool (simulated rack)')
    .option('--bootif <mac>', 'PXE MAC (overrides BOOTIF= on the kernel command line)')
    .option('--cmdline-file <path>', 'kernel command line to read', DEFAULT_CMDLINE_FILE)
    .option('--deadline <seconds>', 'total time allowed for delivery', String(DEFAULT_DEADLINE_SECONDS))
    .option('--dry-run', 'print the JSON payload on stdout instead of posting it')
    .addOption(new Option('-v, --verbose', 'debug logging'))
    .addHelpText(
      'after',
      '\nEnvironment: IPA_INSPECTION_CALLBACK_URL, IPA_INSPECTION_COLLECTORS, INTROSPECTOR_AGENT_BMC_ADDRESS, IPA_AGENT_TOKEN\n' +
        'Kernel command line: ipa-inspection-callback-url=, ipa-inspection-collectors=, BOOTIF=, ipa-agent-token=\n' +
        'Precedence: flags > environment > kernel command line.\n' +
        'Exit codes: 0 delivered, 1 collection failed, 2 bad settings, 3 rejected, 4 deadline exceeded.',
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
}

/** Run the agent with argv (as process.argv: node, script, ...flags); resolves to the exit code. */
export async function main(argv: string[], deps: MainDeps = {}): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors are bad settings.
      return error.exitCode === 0 ? EXIT.OK : EXIT.BAD_SETTINGS;
    }
    throw error;
  }
  const opts = program.opts<FlagValues & { verbose?: boolean }>();
  const log = deps.log ?? createLogger({ level: opts.verbose ? 'debug' : 'info' });
  const env = deps.env ?? process.env;
  // Wait for the write to reach the pipe: the process exits right after.
  const stdout =
    deps.stdout ?? ((text: string) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())));

  const cmdlineFile = opts.cmdlineFile ?? DEFAULT_CMDLINE_FILE;
  let cmdline = '';
  try {
    cmdline = await fs.readFile(cmdlineFile, 'utf8');
  } catch (error) {
    if (cmdlineFile !== DEFAULT_CMDLINE_FILE) {
      log.error('cannot read the kernel command line file', { file: cmdlineFile, error: (error as Error).message });
      return EXIT.BAD_SETTINGS;
    }
    log.debug('no kernel command line available', { file: cmdlineFile });
  }

  let settings;
  try {
    settings = resolveSettings({ flags: opts, env, cmdline });
  } catch (error) {
    if (error instanceof SettingsError) {
      log.error(`bad settings: ${error.message}`);
      return EXIT.BAD_SETTINGS;
    }
    throw error;
  }
  for (const warning of settings.warnings) log.warn(warning);
  log.info('starting', {
    version: AGENT_VERSION,
    collectors: settings.collectors.join(','),
    callback_url: settings.callbackUrl ? redactUrl(settings.callbackUrl) : null,
    callback_url_from: settings.callbackUrl ? settings.sources.callbackUrl : undefined,
    bmc_address: settings.bmcAddress ?? undefined,
    bootif: settings.bootif ?? undefined,
    agent_token: settings.agentToken ? `present (${settings.sources.agentToken})` : 'none',
    deadline_s: settings.deadlineSeconds,
    dry_run: settings.dryRun,
  });

  const ctx: CollectorContext = createContext({
    bootif: settings.bootif,
    bmcAddress: settings.bmcAddress,
    collectors: settings.collectors,
    kernelParams: settings.kernelParams,
    log,
    redact: tokenRedactor(settings.agentToken),
    ...deps.context,
  });
  // Sent before collecting and awaited after it: the report never holds the collection up. It
  // needs the run's token to say whose agent started.
  const started =
    settings.agentToken && !settings.dryRun
      ? reportStarted(settings.callbackUrl!, settings.agentToken, { log, fetch: deps.delivery?.fetch })
      : undefined;
  const result = await runCollectors(settings.collectors, ctx);
  await started;

  if (settings.dryRun) {
    await stdout(JSON.stringify(result.payload, null, 2) + '\n');
    return result.broken ? EXIT.COLLECTION_FAILED : EXIT.OK;
  }

  const delivery = await deliver(settings.callbackUrl!, result.payload, {
    deadlineMs: settings.deadlineSeconds * 1000,
    agentToken: settings.agentToken,
    log,
    ...deps.delivery,
  });
  if (result.broken) {
    log.error('collection failed; the error was reported', { delivered: delivery.ok });
    return EXIT.COLLECTION_FAILED;
  }
  if (delivery.ok) return EXIT.OK;
  if (delivery.reason === 'rejected') {
    log.error(`the inspector rejected the data: ${delivery.message}`, { status: delivery.status });
    return EXIT.REJECTED;
  }
  log.error(delivery.message);
  return EXIT.DEADLINE;
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      // Let stdout/stderr drain; nothing else keeps the event loop alive.
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`introspector-agent: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(EXIT.COLLECTION_FAILED);
    },
  );
}
