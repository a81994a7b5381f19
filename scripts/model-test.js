#!/usr/bin/env node
/**
 * npm run test:model [-- --runs N] [-- --seed S]: the model-based tests (test/model) alone, with
 * as many random schedules as asked (jest takes no options of its own for that: they travel as
 * MODEL_RUNS and MODEL_SEED). The seed of every run is printed, so a failure can be replayed.
 */
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: { runs: { type: 'string' }, seed: { type: 'string' } },
});
for (const [name, value] of Object.entries(values)) {
  if (!/^\d+$/.test(value)) {
    console.error(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
}
const env = { ...process.env };
if (values.runs) env.MODEL_RUNS = values.runs;
if (values.seed) env.MODEL_SEED = values.seed;
// A long run must not be cut by the default per-test timeout.
const timeout = String(Math.max(60_000, Number(values.runs ?? 0) * 500));
const result = spawnSync('npx', ['jest', '--selectProjects', 'model', '--testTimeout', timeout], {
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
