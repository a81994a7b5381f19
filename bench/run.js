// npm run bench: the service's speed against what this machine allows, as ratios measured in one
// run, written to bench/results.md. It starts a database (MONGODB_URI's server when set, else an
// embedded one), a mail sink, the production build (dist/main.js with NODE_ENV=production) and a
// minimal NestJS app, and loads them with autocannon:
//   a. the argon2 verify ceiling (bench/argon2-ceiling.js): verifications/s with the service's
//      parameters and parallelism, and one verification's latency;
//   b. POST /auth/login throughput, saturated, over several accounts      → ÷ ceiling ≥ 0.95
//   c. POST /auth/login p99 at 2 concurrent                                 → ≤ 2 × one verification
//   d. GET /me with a session cookie against GET /health/live               → ≥ 0.5
//   e. GET /health/live against the minimal app's                          → within 1.5×
//   f. 500 concurrent sign-ins: no 5xx, the server's resident memory        → < 400 MB
//   g. database commands (round trips) per GET /me (and per sign-in), from the server's own
//      count of the requests it received                                   → 1
// BENCH_SECONDS (default 8) sets the length of the longer phases.
// bench/api-tokens.js measures, on its own, an API's local check of a JWT access token against
// token introspection (bench/api-tokens.md).
'use strict';
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const mongoose = require('mongoose');
const {
  ROOT,
  startDatabase,
  startMailSink,
  startServer,
  cpuMeter,
  memoryBytes,
  load,
  statusCounts,
  versionOf,
  sleep,
} = require('./support');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ACCOUNTS = 20;
const PASSWORD = 'correct horse battery staple';
const JSON_HEADERS = { 'content-type': 'application/json' };

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const logs = mkdtempSync(join(os.tmpdir(), 'account-bench-'));
  const database = await startDatabase();
  const mail = await startMailSink();
  const databaseName = `bench_${Date.now()}`;
  const env = {
    NODE_ENV: 'production',
    MONGODB_URI: database.uri(databaseName),
    SMTP_URL: mail.url,
    MAIL_FROM: 'Bench <bench@example.test>',
    // Required in production; fresh ones per run.
    CSRF_SECRET: randomBytes(32).toString('base64url'),
    TWO_STEP_SECRET: randomBytes(32).toString('base64url'),
    // Every request comes from one address, and each account signs in hundreds of times a minute:
    // the per-client and per-account limits (20 a minute by default) would refuse nearly all.
    SIGN_IN_RATE_LIMIT: '100000',
    // A check counts as a failure until it succeeds, so that parallel guesses cannot slip past the
    // limits: dozens of sign-ins at once on one account would otherwise make it wait. The lock
    // stays at its default (100): with 500 at once over ACCOUNTS accounts, no account gets near.
    SIGN_IN_FREE_FAILURES: '100000',
  };
  const startService = (name) =>
    startServer({
      script: 'dist/main.js',
      env,
      logFile: join(logs, `${name}.log`),
      readyPath: '/health/ready',
    });
  let server = await startService('service');
  const minimal = await startServer({
    script: 'bench/minimal-app.js',
    env: { NODE_ENV: 'production' },
    logFile: join(logs, 'minimal-app.log'),
    readyPath: '/health/live',
  });
  const counters = await mongoose.createConnection(database.uri(databaseName)).asPromise();
  const results = {};
  try {
    const accounts = await registerAccounts(server.url);

    // a + b, twice in turn, so that a burst of other work on this shared machine spoils one round
    // of each rather than one side of the ratio; the better round of each counts.
    // One account after another, whichever connection sends the request.
    let next = 0;
    const logins = [
      {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_HEADERS,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({
            login: accounts[next++ % accounts.length].username,
            password: PASSWORD,
          }),
        }),
      },
    ];
    const ceiling = ceilingRun(env);
    const loginConnections = 4 * ceiling.concurrency;
    await load({ url: server.url, requests: logins, connections: loginConnections, duration: 2 });
    const rounds = [];
    for (let round = 0; round < 2; round++) {
      const ceilingRound = round === 0 ? ceiling : ceilingRun(env);
      const before = await databaseOps(counters);
      const cpu = cpuMeter(server.pid, database.pid);
      const run = await load({
        url: server.url,
        requests: logins,
        connections: loginConnections,
        duration: SECONDS,
      });
      const used = cpu();
      const ops = (await databaseOps(counters)) - before;
      const signIns = statusCounts(run)[200] ?? 0;
      rounds.push({ ceiling: ceilingRound, run, used, signIns, opsPerSignIn: ops / signIns });
    }
    const best = (pick) => rounds.reduce((a, b) => (pick(b) > pick(a) ? b : a));
    const bestCeiling = best((r) => r.ceiling.perSecond).ceiling;
    const bestLogin = best((r) => r.signIns / (r.run.duration || SECONDS));
    results.ceiling = bestCeiling;
    results.rounds = rounds;
    results.login = bestLogin;

    // c. Two at a time: each sign-in should find a core for its argon2 work.
    results.two = await load({
      url: server.url,
      requests: logins,
      connections: 2,
      duration: SECONDS,
    });

    // g. Round trips the database receives per GET /me, by its own count (less what arrives while
    // the service is idle: the drivers' monitoring).
    const cookie = accounts[0].cookie;
    const me = { url: server.url + '/me', headers: { cookie } };
    await load({ ...me, connections: 1, amount: 50 });
    const idleStart = await databaseOps(counters);
    const idleFrom = Date.now();
    await sleep(2000);
    const idleRate = ((await databaseOps(counters)) - idleStart) / (Date.now() - idleFrom);
    const meCount = 500;
    const meStart = await databaseOps(counters);
    const meFrom = Date.now();
    const meRun = await load({ ...me, connections: 1, amount: meCount });
    const meOps = (await databaseOps(counters)) - meStart - idleRate * (Date.now() - meFrom);
    results.opsPerMe = meOps / (statusCounts(meRun)[200] ?? NaN);

    // d + e. Three routes in turn, twice; the better round of each counts.
    const targets = {
      me: { ...me, pid: server.pid },
      live: { url: server.url + '/health/live', pid: server.pid },
      minimal: { url: minimal.url + '/health/live', pid: minimal.pid },
    };
    const light = {};
    for (let round = 0; round < 2; round++) {
      for (const [name, { pid, ...target }] of Object.entries(targets)) {
        await load({ ...target, connections: 10, duration: 1 });
        const cpu = cpuMeter(pid, database.pid);
        const run = await load({ ...target, connections: 10, duration: Math.ceil(SECONDS / 2) });
        run.used = cpu();
        if (run.non2xx > 0) throw new Error(`${name}: ${JSON.stringify(statusCounts(run))}`);
        if (!light[name] || run.requests.average > light[name].requests.average) light[name] = run;
      }
    }
    results.light = light;

    // f. 500 sign-ins at once, on an instance of their own (same database), so that its peak
    // resident memory (VmHWM) is the burst's and not some earlier phase's; sampled meanwhile too.
    await server.stop();
    server = await startService('service-burst');
    await load({ url: server.url, requests: logins, connections: 4, amount: 40 });
    let peakRss = memoryBytes(server.pid, 'VmRSS');
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryBytes(server.pid, 'VmRSS'));
    }, 50);
    const burst = await load({
      url: server.url,
      requests: logins,
      connections: 500,
      amount: 500,
    });
    clearInterval(sampler);
    results.burst = {
      statuses: statusCounts(burst),
      errors: burst.errors,
      timeouts: burst.timeouts,
      seconds: burst.duration,
      latency: burst.latency,
      peakRss: Math.max(peakRss, memoryBytes(server.pid, 'VmRSS')),
      highWaterMark: memoryBytes(server.pid, 'VmHWM'),
    };

    results.databaseVersion = await databaseVersion(counters);
  } finally {
    await counters.dropDatabase().catch(() => undefined);
    await counters.close();
    await server.stop();
    await minimal.stop();
    await mail.stop();
    await database.stop?.();
  }
  results.environment = { startedAt, loadBefore, loadAfter: os.loadavg(), env, database };
  const report = renderResults(results);
  writeFileSync(join(__dirname, 'results.md'), report);
  process.stdout.write(report);
  process.stdout.write(`\nWritten to bench/results.md; the servers' logs are in ${logs}\n`);
}

/** ACCOUNTS password accounts; the first one's session cookie is kept for GET /me. */
async function registerAccounts(url) {
  const accounts = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const username = `bench${i}`;
    const response = await fetch(url + '/auth/register', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ email: `${username}@example.test`, username, password: PASSWORD }),
    });
    if (response.status !== 201) {
      throw new Error(`registration failed: ${response.status} ${await response.text()}`);
    }
    const cookie = response.headers.getSetCookie()[0].split(';')[0];
    accounts.push({ username, cookie });
  }
  return accounts;
}

/** The argon2 ceiling, measured by a process of its own with the server's environment. */
function ceilingRun(env) {
  const run = spawnSync(process.execPath, [join(__dirname, 'argon2-ceiling.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`argon2-ceiling.js failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * Every request (round trip) the database server has received since it started. Not the sum of
 * its opcounters: mongod counts each insert, update and delete of a `bulkWrite` there besides the
 * command itself, so a batch of four writes would look like five commands.
 */
async function databaseOps(client) {
  const { network } = await client.db.admin().command({ serverStatus: 1 });
  return Number(network.numRequests);
}

async function databaseVersion(client) {
  const info = await client.db.admin().command({ buildInfo: 1 });
  return info.version;
}

/** bench/results.md: the targets with PASS/FAIL, then the raw figures and how they were taken. */
function renderResults(r) {
  const { ceiling, login, two, light, burst, environment } = r;
  const loginRate = login.signIns / login.run.duration;
  const loginRatio = loginRate / ceiling.perSecond;
  const twoP99 = two.latency.p99;
  const meRatio = light.me.requests.average / light.live.requests.average;
  const minimalRatio = light.minimal.requests.average / light.live.requests.average;
  const fiveHundreds = Object.entries(burst.statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0);
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const cpu = login.used;
  const perSignIn = (seconds) => ((seconds * 1000) / login.signIns).toFixed(2);
  const engine =
    environment.database.engine === 'MONGODB_URI'
      ? `the server in MONGODB_URI (reports version ${r.databaseVersion})`
      : `${environment.database.engine} on this machine (reports MongoDB ${r.databaseVersion})`;
  const statuses = (counts) =>
    Object.entries(counts)
      .map(([status, count]) => `${status} × ${count}`)
      .join(', ');
  const rows = [
    [
      'password sign-in ÷ argon2 verify ceiling',
      `${loginRate.toFixed(1)}/s ÷ ${ceiling.perSecond.toFixed(1)}/s = **${loginRatio.toFixed(2)}**`,
      '≥ 0.95',
      verdict(loginRatio >= 0.95),
    ],
    [
      'sign-in p99 at 2 concurrent ÷ one verification',
      `${twoP99} ms ÷ ${ceiling.singleMedianMs.toFixed(1)} ms = **${(twoP99 / ceiling.singleMedianMs).toFixed(2)}**`,
      '≤ 2',
      verdict(twoP99 <= 2 * ceiling.singleMedianMs),
    ],
    [
      '`GET /me` ÷ `GET /health/live`',
      `${light.me.requests.average.toFixed(0)}/s ÷ ${light.live.requests.average.toFixed(0)}/s = **${meRatio.toFixed(2)}**`,
      '≥ 0.5',
      verdict(meRatio >= 0.5),
    ],
    [
      'database commands per `GET /me`',
      `**${r.opsPerMe.toFixed(2)}**`,
      '1',
      verdict(Math.round(r.opsPerMe * 10) === 10),
    ],
    [
      'minimal NestJS app ÷ `GET /health/live`',
      `${light.minimal.requests.average.toFixed(0)}/s ÷ ${light.live.requests.average.toFixed(0)}/s = **${minimalRatio.toFixed(2)}**`,
      '≤ 1.5',
      verdict(minimalRatio <= 1.5),
    ],
    [
      '500 concurrent sign-ins: 5xx answers',
      `**${fiveHundreds}** (${statuses(burst.statuses)}; ${burst.errors} errors)`,
      '0',
      verdict(fiveHundreds === 0 && burst.errors === 0),
    ],
    [
      '500 concurrent sign-ins: peak resident memory',
      `**${mb(burst.highWaterMark)} MB** (VmHWM of an instance started for the burst; sampled VmRSS peak ${mb(burst.peakRss)} MB)`,
      '< 400 MB',
      verdict(burst.highWaterMark < 400 * 1024 * 1024),
    ],
  ];
  const databaseCores = cpu.database / login.run.duration;
  const withoutDatabase = Number.isNaN(databaseCores)
    ? 'unknown (the database is not on this machine)'
    : (
        loginRate /
        ((ceiling.perSecond * (os.availableParallelism() - databaseCores)) /
          os.availableParallelism())
      ).toFixed(2);
  // What the service itself costs, whatever the database: event-loop CPU per request, which is
  // what bounds a Node.js process's throughput.
  const loopUs = (run) => (run.used.mainThread * 1e6) / run.requests.total;
  const liveOverMinimal = loopUs(light.live) / loopUs(light.minimal);
  const liveOverMe = loopUs(light.live) / loopUs(light.me);
  const estimates = [
    [
      'event-loop CPU per request: `GET /health/live` ÷ minimal NestJS app',
      `${loopUs(light.live).toFixed(0)} µs ÷ ${loopUs(light.minimal).toFixed(0)} µs = **${liveOverMinimal.toFixed(2)}**`,
      '≤ 1.5',
      `${verdict(liveOverMinimal <= 1.5)} (estimate)`,
    ],
    [
      'event-loop CPU per request: `GET /health/live` ÷ `GET /me`',
      `${loopUs(light.live).toFixed(0)} µs ÷ ${loopUs(light.me).toFixed(0)} µs = **${liveOverMe.toFixed(2)}**`,
      '≥ 0.5',
      `${verdict(liveOverMe >= 0.5)} (estimate)`,
    ],
    [
      'password sign-in ÷ argon2 verify ceiling scaled to the CPU the database left',
      `**${withoutDatabase}**`,
      '≥ 0.95',
      `${Number.isNaN(Number(withoutDatabase)) ? 'unknown' : verdict(Number(withoutDatabase) >= 0.95)} (estimate)`,
    ],
  ];
  const cpuModel = os.cpus()[0]?.model ?? 'unknown';
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${environment.startedAt.toISOString()}. Each ratio compares two`,
    'figures measured in this one run, on this machine.',
    '',
    '| What | Measured | Target | Result |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    '## Estimates that leave the database out',
    '',
    'The database here shares the two cores with the service and takes more CPU per command than',
    'the service does per request, so the ratios above mostly measure it. These say what the',
    "service's own code costs, from the CPU time of its event loop (the thread that bounds a Node.js",
    "process's throughput) in the same runs; `GET /me`'s includes its side of the database round",
    'trip (the driver), and waking up for each answer of a database that is slow to give it.',
    '',
    '| Estimate | Measured | Target | Result |',
    '| --- | --- | --- | --- |',
    ...estimates.map((row) => `| ${row.join(' | ')} |`),
    '',
    '## Machine and versions',
    '',
    `- CPU: ${cpuModel}, ${os.availableParallelism()} cores; RAM ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB; Linux ${os.release()}`,
    `- Load average (1 min) before and after: ${environment.loadBefore[0].toFixed(2)}, ${environment.loadAfter[0].toFixed(2)} (a shared machine: other work may run meanwhile)`,
    `- Node.js ${process.version}, NestJS ${versionOf('@nestjs/core')}, express ${versionOf('express')}, mongoose ${versionOf('mongoose')} (driver ${versionOf('mongodb')}), argon2 ${versionOf('argon2')}, autocannon ${versionOf('autocannon')}`,
    `- Database: ${engine}`,
    '',
    '## How',
    '',
    '- The production build (`dist/main.js`) runs as a process of its own with `NODE_ENV=production`,',
    '  `MONGODB_URI` (a fresh database, dropped afterwards), `CSRF_SECRET`, `TWO_STEP_SECRET`, `SMTP_URL` and `MAIL_FROM` (a local SMTP',
    '  server that takes every message), request logging at `info` to a file, every other setting at',
    '  its default but two limits, which the bench lifts: **`SIGN_IN_RATE_LIMIT=100000`**, since',
    '  every request comes from one address and each account signs in hundreds of times a minute',
    '  (the default allows 20 a minute per client and per account), and',
    '  **`SIGN_IN_FREE_FAILURES=100000`**, since a check counts as a failure until it succeeds, so',
    '  that dozens of sign-ins at once on one account would make it wait. The lock stays at its',
    `  default (100 failures). Sign-ins go to ${ACCOUNTS} accounts in turn, so the 500 at once are 25 per account.`,
    environment.database.engine === 'SecantusDB'
      ? '- The database is **SecantusDB**, a MongoDB wire-protocol server written in Python, on the same cores as the service: no `mongod` can be installed on this machine. Its share of the CPU is far larger than a `mongod` on a machine of its own would take from the service (below).'
      : '- The database is the one the bench was given; when it runs on this machine it shares the cores.',
    '- Load comes from autocannon in the bench process. Sign-in throughput and the argon2 ceiling',
    '  are measured twice in turn, as are the three cheap routes, and the better of each counts: a',
    '  burst of other work then spoils one round rather than one side of a ratio.',
    `- The ceiling (bench/argon2-ceiling.js) runs in a process of its own with the service's settings:`,
    `  argon2id m=${ceiling.options.memoryCost} KiB, t=${ceiling.options.timeCost}, p=${ceiling.options.parallelism},`,
    `  ${ceiling.concurrency} at once (\`ARGON2_MAX_CONCURRENCY\`) on libuv's pool of ${ceiling.threadpool} threads, as the service's scheduler does.`,
    '- The minimal app (bench/minimal-app.js) is NestFactory with its defaults and one controller on',
    '  the same express platform, answering `GET /health/live` with the same body as the service.',
    '- The 500 sign-ins at once go to an instance started for them on the same database (after 40',
    '  sign-ins to warm it), so that its peak resident memory (`VmHWM`) is theirs.',
    '- Database commands are round trips, counted by the database itself: the requests it received',
    '  (`serverStatus` `network.numRequests`), less what it receives while the service is idle (the',
    '  drivers\u2019 monitoring). Not its opcounters: mongod counts each write of a `bulkWrite` there',
    '  besides the command, so the one round trip of a sign-in\u2019s writes would look like five.',
    '',
    '## Raw figures',
    '',
    '```text',
    `argon2 verify ceiling   : ${rounds(r, (x) => `${x.ceiling.perSecond.toFixed(1)}/s`)}  (${ceiling.concurrency} at once); one alone: median ${ceiling.singleMedianMs.toFixed(1)} ms, min ${ceiling.singleMinMs.toFixed(1)} ms`,
    `POST /auth/login        : ${rounds(r, (x) => `${(x.signIns / x.run.duration).toFixed(1)}/s`)}  (${login.run.connections} connections, ${login.run.duration} s; p50 ${login.run.latency.p50} ms, p99 ${login.run.latency.p99} ms; ${statuses(statusCounts(login.run))})`,
    `  at 2 concurrent       : ${(statusCounts(two)[200] / two.duration).toFixed(1)}/s, p50 ${two.latency.p50} ms, p90 ${two.latency.p90} ms, p99 ${two.latency.p99} ms, max ${two.latency.max} ms`,
    `  database commands     : ${login.opsPerSignIn.toFixed(2)} per sign-in`,
    `  database's share      : ${databaseCores.toFixed(2)} of ${os.availableParallelism()} cores; sign-in ÷ the ceiling scaled to the CPU it left: ${withoutDatabase} (an estimate of the ratio with the database on a machine of its own)`,
    `  CPU per sign-in       : service event loop ${perSignIn(cpu.mainThread)} ms, service other threads (argon2, GC) ${perSignIn(cpu.otherThreads)} ms, database ${perSignIn(cpu.database)} ms, load generator ${perSignIn(cpu.bench)} ms`,
    `GET /me                 : ${describeLight(light.me)}`,
    `GET /health/live        : ${describeLight(light.live)}`,
    `  minimal NestJS app    : ${describeLight(light.minimal)}`,
    `  database commands     : ${r.opsPerMe.toFixed(2)} per GET /me`,
    `500 sign-ins at once    : ${statuses(burst.statuses)}; ${burst.errors} errors, ${burst.timeouts} timeouts; done in ${burst.seconds} s (p50 ${burst.latency.p50} ms, max ${burst.latency.max} ms)`,
    `  service memory        : peak RSS sampled ${mb(burst.peakRss)} MB, VmHWM ${mb(burst.highWaterMark)} MB`,
    '```',
    '',
  ];
  return lines.join('\n');
}

function rounds(r, describe) {
  return r.rounds.map(describe).join(', ');
}

function describeLight(run) {
  const us = (seconds) => ((seconds * 1e6) / run.requests.total).toFixed(0);
  const database = Number.isNaN(run.used.database) ? '' : `, database ${us(run.used.database)} µs`;
  return `${run.requests.average.toFixed(0)} requests/s (10 connections; p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms; CPU per request: event loop ${us(run.used.mainThread)} µs, other threads ${us(run.used.otherThreads)} µs${database})`;
}

// Ctrl-C: exit, so that the servers and the embedded database are stopped on the way out.
process.once('SIGINT', () => process.exit(130));

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
