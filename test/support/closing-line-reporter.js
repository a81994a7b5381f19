'use strict';
/**
 * Ends the run with one plain line, "Jest: N passed, N failed, N skipped", a count anyone reading
 * the log can find at a glance. Added to jest's default reporter.
 */
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stderr.write(
      `Jest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}

module.exports = ClosingLineReporter;
