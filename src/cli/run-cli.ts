import { CommandFactory, CommandRunnerService } from 'nest-commander';
import { InvalidConfigurationError } from '../platform/config/config-area';
import { CliIo, cliLogger, processIo } from './cli-io';
import { CliModule, Commander, CommandTree } from './cli.module';

/** Exit codes: done, failed (one line on stderr says why), or not a valid command line. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Runs one command line (`argv` without node and the script) and returns the exit code. The
 * service behind the commands starts only if the command needs it, and is closed before this
 * returns.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const cli = await CommandFactory.createWithoutRunning(CliModule.with(io), {
    logger: cliLogger(io),
    outputConfiguration: { writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) },
    serviceErrorHandler: (error) => {
      throw error;
    },
  });
  try {
    describeProgram(cli.get(CommandTree).root);
    await cli.get(CommandRunnerService).run(['node', 'cli', ...argv]);
    return EXIT.ok;
  } catch (error) {
    return failure(error, io);
  } finally {
    await cli.close();
  }
}

function describeProgram(root: Commander): void {
  root
    .name('cli')
    .usage('<command> [options]')
    .description(
      'Operator commands, against the database in MONGODB_URI: npm run cli -- <command>, or node dist/cli.js <command> where the service is built.',
    )
    .showHelpAfterError('(add --help for usage)');
  // Commander's errors (an unknown command, a missing option) come back as exceptions with an exit
  // code, from every level of the tree, instead of ending the process.
  const all = (command: Commander): Commander[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(root)) command.exitOverride();
}

/** The exit code for what went wrong; Commander has printed its own errors already. */
function failure(error: unknown, io: CliIo): number {
  const { code, exitCode } = (error ?? {}) as { code?: unknown; exitCode?: unknown };
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  io.err(`${oneLine(error)}\n`);
  return EXIT.failed;
}

function oneLine(error: unknown): string {
  if (error instanceof InvalidConfigurationError) {
    return `Invalid configuration: ${error.problems.join('; ')}`;
  }
  // An AppError's or a CommandFailure's message is written for the operator; another error's first
  // line says enough (its stack would only bury it).
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
