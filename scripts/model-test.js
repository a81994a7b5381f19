#!/usr/bin/env node
/**
 * npm run test:model [-- --runs N] [-- --seed S]: the model-based tests (test/model) alone, with
 * as many random schedules as asked (jest takes no options of its own for that: they travel as
 * MODEL_RUNS and MODEL_SEED). The seed of every run is printed, so a failure can be replayed with
 * the runs and seed it printed.
 *
 * A long run goes in batches of BATCH schedules, each a jest run of its own (its own app and test
 * database server): one run of 5000 schedules slowed steadily and did not finish in 40 minutes,
 * where 400 take about 40 s, although each schedule's records are deleted once it is checked.
 */
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const BATCH = 500;

const { values } = parseArgs({
  options: { runs: { type: 'string' }, seed: { type: 'string' } },
});
for (const [name, value] of Object.entries(values)) {
  if (!/^\d+$/.test(value)) {
    console.error(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
}
const runs = values.runs === undefined ? undefined : Number(values.runs);
const batches = [];
for (let left = runs ?? 0; left > 0; left -= BATCH) batches.push(Math.min(left, BATCH));
if (batches.length === 0) batches.push(undefined); // the test's own default

const started = Date.now();
for (const [index, batch] of batches.entries()) {
  const env = { ...process.env };
  if (batch !== undefined) env.MODEL_RUNS = String(batch);
  // A given seed is the first batch's; the others draw their own (each prints it).
  if (values.seed !== undefined && index === 0) env.MODEL_SEED = values.seed;
  // The test sets its own deadline from MODEL_RUNS.
  const result = spawnSync('npx', ['jest', '--selectProjects', 'model'], {
    stdio: 'inherit',
    env,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  if (batches.length > 1) {
    const seconds = Math.round((Date.now() - started) / 1000);
    console.error(`model: batch ${index + 1} of ${batches.length} passed (${seconds} s so far)`);
  }
}
if (runs !== undefined) {
  const seconds = Math.round((Date.now() - started) / 1000);
  console.error(`model: all ${runs} schedules passed in ${seconds} s`);
}
