import type { LoggerService } from '@nestjs/common';

/** Where the CLI writes: results to `out`, problems to `err` (the process's streams, or a test's). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const CLI_IO = Symbol('CLI_IO');

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Nest's log for a command: warnings and errors only, on stderr, so stdout holds just the result. */
export function cliLogger(io: CliIo): LoggerService {
  // The message is the first text given (Nest adds a context after it, pino-style calls an object
  // before it, whose `err` says what failed).
  const write = (...parts: unknown[]) => {
    const text = parts.find((part) => typeof part === 'string');
    const fields = parts.find((part) => typeof part === 'object' && part !== null);
    const { err } = (fields ?? {}) as { err?: unknown };
    const cause = err instanceof Error ? `: ${err.message}` : '';
    if (text) io.err(`${text}${cause}\n`);
  };
  return { log: () => undefined, warn: write, error: write };
}

/** A command that could not do what was asked: its message is the CLI's one line on stderr. */
export class CommandFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/**
 * An argument the command cannot take (not an email, an unknown scope): a usage error, exit code
 * 2. Commander recognises it by its code, whichever copy of commander is loaded.
 */
export function invalidArgument(message: string): Error {
  return Object.assign(new Error(message), { code: 'commander.invalidArgument', exitCode: 2 });
}

/** Rows as aligned columns, the first row being the headings. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_heading, column) =>
    Math.max(...rows.map((row) => row[column].length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  '),
    )
    .join('\n');
}
