/**
 * Unit specs sit beside the code and start no database; medium specs run repositories and the
 * rules they enforce against a real MongoDB, without HTTP; end-to-end specs drive the real app
 * over HTTP against a real MongoDB; browser specs drive it in real headless Chromium. One MongoDB
 * serves the whole run, started only when a medium, e2e or browser spec runs (a project's
 * globalSetup runs only when one of its tests does).
 */
// Each file is compiled alone (tsconfig's isolatedModules), which keeps the run fast.
const transform = { '^.+\\.ts$': 'ts-jest' };
const database = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

// ESM-only packages (oidc-provider, openid-client) are loaded as they are, with require(esm), as the
// service loads them. Jest does that on Node 24.9+ with vm modules, which Node keeps behind
// --experimental-vm-modules: .npmrc's node-options adds it to every npm and npx command.
const vm = require('node:vm');
if (typeof vm.SourceTextModule?.prototype.hasAsyncGraph !== 'function') {
  throw new Error(
    `jest needs Node.js 24.9 or later (this is ${process.version}) with --experimental-vm-modules: ` +
      'run it as npm test or npx jest, which add the flag from .npmrc.',
  );
}

// structuredClone's copies belong to the test's realm (see test/support/same-realm-clone.ts).
const setupFiles = ['<rootDir>/test/support/same-realm-clone.ts'];

module.exports = {
  // End-to-end tests start apps and databases; give them room (no test relies on timing out).
  testTimeout: 60000,
  // Two files at once, whatever the cores: a file spends much of its time waiting on the database,
  // the mail server or Chromium, so on two cores two workers halve the run (about 450 s to 230 s),
  // where jest's default (cores less one) would run one file at a time. A third gains little more.
  maxWorkers: 2,
  // A failed test must not hold the run open: every wait in the tests has a deadline and every
  // test closes what it opens in afterAll/finally (an unbounded poll in a timed-out test once kept
  // jest from exiting, and CI hung until killed); should anything still be left open, the closing
  // line's reporter (test/support/closing-line-reporter.js) ends the process a few seconds after
  // the results. It also writes the run's last line, after jest's summary.
  reporters: ['default', '<rootDir>/test/support/closing-line-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      setupFiles,
      // test/docs checks the links of README.md and docs/ (test/docs/links.spec.ts).
      roots: ['<rootDir>/src', '<rootDir>/test/docs'],
      testRegex: '\\.spec\\.ts$',
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      ...database,
      transform,
      setupFiles,
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
    },
    {
      // The middle layer: repositories and the rules they enforce, against the real database,
      // without HTTP (Nest modules built around DatabaseModule, see test/support/database-module.ts).
      displayName: 'medium',
      testEnvironment: 'node',
      ...database,
      transform,
      setupFiles,
      roots: ['<rootDir>/test'],
      testRegex: '\\.medium-spec\\.ts$',
    },
    {
      // Rules proven against a model: random schedules of parallel operations on the real services
      // and database (MODEL_RUNS, MODEL_SEED; npm run test:model -- --runs 5000).
      displayName: 'model',
      testEnvironment: 'node',
      ...database,
      transform,
      setupFiles,
      roots: ['<rootDir>/test'],
      testRegex: '\\.model-spec\\.ts$',
    },
    {
      // Debian's chromium, driven by playwright-core, against the real app on a real port.
      displayName: 'browser',
      testEnvironment: 'node',
      ...database,
      transform,
      setupFiles,
      roots: ['<rootDir>/test'],
      testRegex: '\\.browser-spec\\.ts$',
    },
  ],
};
