import { runCli } from './cli/run-cli';

/** Operator commands, against the database the service uses: `npm run cli -- <command>`. */
void runCli(process.argv.slice(2))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  })
  .then((code) => {
    process.exitCode = code;
    // Everything is closed by now; should a stray handle keep the process alive, it still ends.
    setTimeout(() => process.exit(code), 5000).unref();
  });
