// introspector: the command line for the inspector API and the node API.
// Run: npx tsx cli/main.ts --help
//
// Exit status: 0 success; 1 the API refused, a node failed, or the API could not
// be reached; 2 bad flags or arguments; 130 stopped waiting with Ctrl-C.

import { Command, CommanderError, Option } from 'commander';
import { registerBulkCommands } from './commands/bulk';
import { registerIntrospectionCommands } from './commands/introspection';
import { registerNodeCommands } from './commands/node';
import { registerNodesQueryCommand } from './commands/nodes-query';
import { registerReportCommand } from './commands/report';
import { registerRuleCommands } from './commands/rule';
import {
  type CliIO,
  CommandFailed,
  Context,
  DEFAULT_INSPECTOR_URL,
  DEFAULT_NODE_URL,
  DEFAULT_TIMEOUT_SECONDS,
  defaultIO,
  EXIT,
  UsageError,
} from './context';
import { CredentialsError, PASSWORD_ENV, USERNAME_ENV } from './credentials';
import { ApiError, InterruptedError } from './http';
import { positiveSeconds } from './options';

export { EXIT, type CliIO } from './context';

export const CLI_VERSION = '0.1.0';

function buildProgram(io: CliIO): { program: Command; ctx: Context } {
  const program = new Command()
    .name('introspector')
    .description('Enroll bare-metal nodes and introspect their hardware')
    .version(CLI_VERSION)
    .option('--inspector-url <url>', `inspector API (env INTROSPECTOR_URL; default ${DEFAULT_INSPECTOR_URL})`)
    .option('--node-url <url>', `node API (env INTROSPECTOR_NODE_URL; default ${DEFAULT_NODE_URL})`)
    .option('--json', 'print JSON instead of tables')
    // Refused (see below), so that nobody puts the API password where ps and the shell history show it.
    .addOption(new Option('--password <password>').hideHelp())
    .addOption(
      new Option('--timeout <seconds>', 'HTTP request timeout')
        .argParser(positiveSeconds)
        .default(DEFAULT_TIMEOUT_SECONDS),
    )
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      `\nCredentials: ${USERNAME_ENV} and ${PASSWORD_ENV}, else the admin password file of npm start ` +
        '($INTROSPECTOR_DATA_DIR/admin-password), else asked for on a terminal.\n' +
        'Exit status: 0 ok, 1 failed, 2 bad usage, 130 interrupted while waiting.',
    )
    .hook('preAction', (self) => {
      if (self.opts().password !== undefined) {
        throw new UsageError(`--password is not accepted: a password on the command line shows in ps and the shell history; set ${USERNAME_ENV} and ${PASSWORD_ENV}, or answer the prompt`);
      }
    });
  const ctx = new Context(program, io);
  registerNodeCommands(program, ctx);
  registerNodesQueryCommand(program, ctx);
  const introspection = registerIntrospectionCommands(program, ctx);
  registerBulkCommands(introspection, ctx);
  registerRuleCommands(program, ctx);
  registerReportCommand(program, ctx);
  return { program, ctx };
}

/**
 * Runs the CLI with the user's arguments (process.argv without node and the
 * script) and resolves to the exit status. Nothing here calls process.exit.
 */
export async function main(args: string[], io: Partial<CliIO> = {}): Promise<number> {
  const fullIO: CliIO = { ...defaultIO(), ...io };
  const { program, ctx } = buildProgram(fullIO);
  try {
    await program.parseAsync(args, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed the message (or the help/version) already.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof UsageError || err instanceof CredentialsError) {
      ctx.err(`error: ${err.message}`);
      return EXIT.USAGE;
    }
    if (err instanceof InterruptedError) return EXIT.INTERRUPTED;
    if (err instanceof ApiError) {
      ctx.err(`error: ${err.message}${err.status ? ` (HTTP ${err.status})` : ''}`);
      return EXIT.FAILED;
    }
    if (err instanceof CommandFailed) {
      ctx.err(`error: ${err.message}`);
      return EXIT.FAILED;
    }
    ctx.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`introspector: unexpected failure: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}
