import type { CommandRunner } from 'nest-commander';

type Commander = Parameters<CommandRunner['setCommand']>[0];

/**
 * A command group run without one of its commands (`api-keys`, `users foo`): a usage error
 * (exit code 2) that shows what the group offers.
 */
export function requireSubcommand(command: Commander, args: string[]): never {
  if (args.length > 0) {
    command.error(`error: unknown command '${args[0]}'\n\n${command.helpInformation()}`, {
      exitCode: 2,
      code: 'commander.unknownCommand',
    });
  }
  command.help({ error: true });
}

/** A time as commands print it (UTC, to the second), or `never`. */
export function when(date: Date | undefined): string {
  return date ? `${date.toISOString().slice(0, 19)}Z` : 'never';
}
