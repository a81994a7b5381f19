'use strict';
/**
 * Ends the run with one plain line, "Jest: N passed, N failed, N skipped", a count anyone reading
 * the log (or a CI that reads a log's closing line) finds at a glance. Added to jest's default
 * reporter. It is written as the process exits, so that it follows jest's own summary and stays
 * the output's last line.
 *
 * It is also the run's last resort against a hang: should something a test opened still hold the
 * process a few seconds after the results are in (every wait has a deadline and every test closes
 * what it opens, so it should not), the process exits with jest's exit code, saying so, instead of
 * waiting until CI kills it. jest's own forceExit would do the same, but always, and with a warning
 * on every run; this acts only when needed. The timer does not itself keep the process alive.
 */
const GRACE_MS = 5000;

class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const closingLine = `Jest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    // Writes to a pipe or a file are synchronous in an 'exit' listener, so the line is not lost.
    process.once('exit', () => process.stderr.write(closingLine));
    setTimeout(() => {
      process.stderr.write(
        `Something a test opened was still open ${GRACE_MS / 1000} s after the run: exiting anyway.\n`,
      );
      process.exit(process.exitCode ?? (failed > 0 || !results.success ? 1 : 0));
    }, GRACE_MS).unref();
  }
}

module.exports = ClosingLineReporter;
