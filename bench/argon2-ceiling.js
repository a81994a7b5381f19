// The argon2 verify ceiling: what one verification with the service's argon2 parameters costs in
// CPU (this whole process's, all threads, per verification, while as many run at once as the
// service's scheduler allows), how many a second this machine does, and how long one takes alone.
// Run by bench/run.js as a process of its own with the server's environment (ARGON2_*,
// UV_THREADPOOL_SIZE), so it uses the same parameters and threads as the service; prints one JSON line.
'use strict';
const argon2 = require('argon2');
const { passwordConfig } = require('../dist/sign-in/methods/password/password-config');
const { cpuSeconds } = require('./support');

const SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 6);
const SINGLE = 20;

async function main() {
  const config = passwordConfig.fromEnvironment(process.env);
  const options = {
    type: argon2.argon2id,
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
  };
  const password = 'correct horse battery staple';
  const hash = await argon2.hash(password, options);
  const verify = async () => {
    if (!(await argon2.verify(hash, password))) throw new Error('argon2 did not verify');
  };

  // One alone, after a warm-up: the latency a sign-in can never beat.
  await verify();
  const single = [];
  for (let i = 0; i < SINGLE; i++) {
    const started = process.hrtime.bigint();
    await verify();
    single.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  single.sort((a, b) => a - b);

  // As many at once as the service's scheduler runs (ARGON2_MAX_CONCURRENCY).
  const concurrency = config.ARGON2_MAX_CONCURRENCY;
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  const cpuBefore = cpuSeconds(process.pid);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await verify();
        done += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const cpuPerVerify = (cpuSeconds(process.pid) - cpuBefore) / done;
  process.stdout.write(
    JSON.stringify({
      options,
      concurrency,
      threadpool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
      perSecond: done / elapsed,
      verifies: done,
      cpuPerVerify,
      singleMedianMs: single[Math.floor(single.length / 2)],
      singleMinMs: single[0],
    }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
