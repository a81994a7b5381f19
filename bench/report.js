// bench/results.md: the targets of issue 22 with PASS/FAIL, the raw figures, the machine and
// versions, and how they were taken. A run without --accounts writes the file's "default run"
// section, a run with it the "--accounts" section (which repeats the empty-database figures it
// compares with); each leaves the other section as it was.
'use strict';
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { versionOf } = require('./support');
const { searchFieldsIncluded } = require('./accounts');

const FILE = join(__dirname, 'results.md');
const HEADER = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (the default run) and `npm run bench -- --accounts 200000` (the run',
  'with 200,000 more accounts), each into its own section. Every ratio compares figures measured',
  'in one run, on one machine; CPU is the whole process (all threads) per request answered. How',
  'the figures are taken: [docs/performance.md](../docs/performance.md).',
  '',
].join('\n');

const us = (seconds) => `${(seconds * 1e6).toFixed(0)} µs`;
const ms = (seconds) => `${(seconds * 1e3).toFixed(2)} ms`;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
const ratio = (value) => `**${value.toFixed(2)}**`;
const statuses = (counts) =>
  Object.entries(counts)
    .map(([status, count]) => `${status} × ${count}`)
    .join(', ');

function targetRows(r) {
  const { light, empty, ceiling, flood, burst } = r;
  const outside = empty.signIn.cpu - ceiling.cpuPerVerify;
  const fiveHundreds = Object.entries(burst.statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
  const floodRatio = flood.during.p50 / flood.before.p50;
  // A request cannot cost less than the cheapest route plus its commands by the driver alone.
  const floor = light.live.cpu + r.floors.sessionRead.cpuPerRequest;
  const signInFloor = light.live.cpu + r.floors.signIn.cpuPerRequest;
  const rows = [
    [
      'CPU per request: `GET /health/live` ÷ minimal NestJS app',
      `${us(light.live.cpu)} ÷ ${us(light.minimal.cpu)} = ${ratio(light.live.cpu / light.minimal.cpu)}`,
      '≤ 1.3',
      verdict(light.live.cpu <= 1.3 * light.minimal.cpu),
    ],
    [
      "`GET /health/live`'s floor: the minimal app doing the service's work of every request",
      `${us(light.liveFloor.cpu)} (${ratio(light.liveFloor.cpu / light.minimal.cpu)} × minimal; live is ${ratio(light.live.cpu / light.liveFloor.cpu)} × it)`,
      '–',
      light.liveFloor.cpu > 1.3 * light.minimal.cpu ? 'under it: ≤ 1.3' : 'the target is above it',
    ],
    [
      'CPU per request: `GET /me` ÷ `GET /health/live`',
      `${us(light.me.cpu)} ÷ ${us(light.live.cpu)} = ${ratio(light.me.cpu / light.live.cpu)}`,
      '≤ 2',
      verdict(light.me.cpu <= 2 * light.live.cpu),
    ],
    [
      "`GET /me`'s floor: `GET /health/live` + the same read by the driver alone",
      `${us(light.live.cpu)} + ${us(r.floors.sessionRead.cpuPerRequest)} = ${us(floor)} (${ratio(floor / light.live.cpu)} × live, ${ratio(floor / light.betterAuth.cpu)} × Better Auth's)`,
      '–',
      `under it: ${
        [
          floor > 2 * light.live.cpu && '≤ 2 × live',
          floor > 0.25 * light.betterAuth.cpu && "≤ 0.25 × Better Auth's",
        ]
          .filter(Boolean)
          .join(', ') || 'neither target'
      }`,
    ],
    [
      'CPU per password sign-in, outside its argon2 verify',
      `${ms(empty.signIn.cpu)} − ${ms(ceiling.cpuPerVerify)} = **${ms(outside)}**`,
      '≤ 1.5 ms',
      verdict(outside <= 0.0015),
    ],
    [
      "a sign-in's floor: `GET /health/live` + its three commands by the driver alone",
      `${us(light.live.cpu)} + ${us(r.floors.signIn.cpuPerRequest)} = ${ms(signInFloor)}`,
      '–',
      signInFloor > 0.0015 ? 'under it: ≤ 1.5 ms' : 'the target is above it',
    ],
    [
      "CPU per request: `GET /me` ÷ Better Auth's get-session",
      `${us(light.me.cpu)} ÷ ${us(light.betterAuth.cpu)} = ${ratio(light.me.cpu / light.betterAuth.cpu)}`,
      '≤ 0.25',
      verdict(light.me.cpu <= 0.25 * light.betterAuth.cpu),
    ],
    [
      'database round trips per password sign-in',
      `**${empty.signIn.roundTrips.toFixed(2)}**`,
      '≤ 3',
      verdict(empty.signIn.roundTrips <= 3.05),
    ],
    [
      'database round trips per `GET /me`',
      `**${empty.me.roundTrips.toFixed(2)}**`,
      '1',
      verdict(Math.abs(empty.me.roundTrips - 1) < 0.05),
    ],
    [
      "a flood of one account: others' sign-in p50 during ÷ before",
      `${flood.during.p50} ms ÷ ${flood.before.p50} ms = ${ratio(floodRatio)}`,
      '≤ 4',
      verdict(floodRatio <= 4),
    ],
    [
      '500 concurrent sign-ins: 5xx answers',
      `**${fiveHundreds}** (${statuses(burst.statuses)}; ${burst.errors} errors)`,
      '0',
      verdict(fiveHundreds === 0 && burst.errors === 0),
    ],
    [
      '500 concurrent sign-ins: peak resident memory (VmHWM)',
      `**${mb(burst.highWaterMark)}**`,
      '≤ 300 MB',
      verdict(burst.highWaterMark <= 300 * 1024 * 1024),
    ],
    [
      "the service's peak resident memory after the whole bench (VmHWM)",
      `**${mb(r.serviceHighWaterMark)}**`,
      '< 300 MB',
      verdict(r.serviceHighWaterMark < 300 * 1024 * 1024),
    ],
  ];
  if (r.grown) {
    const n = r.extraAccounts.toLocaleString('en');
    const grew = (label, grown, emptyValue, format, limit, runs = []) => {
      // A phase whose CPU was largely the process's idle work (a database slow to answer) says
      // little of the requests: what is left after taking an estimate of a fifth or more away is
      // no ground for a verdict.
      const idleShare = Math.max(0, ...runs.map((run) => run.idleShare ?? 0));
      return [
        `${label}: ${n} accounts ÷ empty`,
        `${format(grown)} ÷ ${format(emptyValue)} = ${ratio(grown / emptyValue)}`,
        `≤ ${limit}`,
        idleShare > 0.2
          ? `not measurable here: idle work was ${(100 * idleShare).toFixed(0)} % of the phase's CPU`
          : verdict(grown <= limit * emptyValue),
      ];
    };
    rows.push(
      grew('CPU per `GET /me`', r.grown.me.cpu, empty.me.cpu, us, 1.2, [r.grown.me, empty.me]),
      grew('CPU per password sign-in', r.grown.signIn.cpu, empty.signIn.cpu, ms, 1.2, [
        r.grown.signIn,
        empty.signIn,
      ]),
      ...Object.keys(empty.search).map((kind) =>
        grew(
          `admin search p50, by ${kind}`,
          r.grown.search[kind].p50,
          empty.search[kind].p50,
          (value) => `${value.toFixed(1)} ms`,
          2,
        ),
      ),
    );
  }
  return rows;
}

function rawFigures(r) {
  const { light, empty, ceiling, flood, burst, userinfo, exchange, tokenCheck } = r;
  const per = (run) =>
    `${us(run.cpu)} per request (${us(run.rawCpu)} less ${(run.idlePerSecond * 1000).toFixed(0)} ms/s of idle work; database ${Number.isNaN(run.databaseCpu) ? 'not on this machine' : us(run.databaseCpu)}); ${run.count} requests, ${run.perSecond?.toFixed(0) ?? '–'}/s, p50 ${run.p50} ms`;
  const floorLine = (floor) =>
    `${us(floor.cpuPerRequest)} CPU each by the driver in a plain process (less ${(floor.idlePerSecond * 1000).toFixed(0)} ms/s of idle work; ${floor.count}, ${floor.concurrency} at once)`;
  const growth = (label, figures) => [
    `${label}`,
    `  GET /me                : ${per(figures.me)}; ${figures.me.roundTrips.toFixed(2)} round trips each`,
    `  POST /auth/login       : ${per(figures.signIn)}; ${figures.signIn.roundTrips.toFixed(2)} round trips each; outside the verify ${ms(figures.signIn.cpu - ceiling.cpuPerVerify)} (the verify as the ceiling process measures it), ${ms(figures.signIn.cpu - figures.signIn.poolCpu)} (less the service's own pool threads, ${ms(figures.signIn.poolCpu)} per sign-in)`,
    ...Object.entries(figures.search).map(
      ([kind, search]) =>
        `  admin search, ${kind.padEnd(8)}: p50 ${search.p50.toFixed(1)} ms over ${search.count}, service CPU ${ms(search.cpu)} each`,
    ),
  ];
  return [
    '```text',
    `argon2 verify (ceiling process): ${ms(ceiling.cpuPerVerify)} CPU each, ${ceiling.perSecond.toFixed(1)}/s with ${ceiling.concurrency} at once; one alone: median ${ceiling.singleMedianMs.toFixed(1)} ms`,
    `GET /health/live         : ${per(light.live)}`,
    `minimal NestJS app       : ${per(light.minimal)}`,
    `  with the service's work: ${per(light.liveFloor)}`,
    `GET /me                  : ${per(light.me)}`,
    `  the read alone        : ${floorLine(r.floors.sessionRead)}`,
    `Better Auth get-session  : ${per(light.betterAuth)}`,
    ...growth(`Empty database (the bench’s own ${r.benchAccounts} accounts):`, empty),
    `  its commands alone    : ${floorLine(r.floors.signIn)}`,
    `GET /oauth2/userinfo     : ${per(userinfo)}; ${userinfo.roundTrips.toFixed(2)} round trips each`,
    `code exchange (/oauth2/token): ${us(exchange.cpu)} per request (database ${Number.isNaN(exchange.databaseCpu) ? '–' : us(exchange.databaseCpu)}); ${exchange.count} codes, 4 at once, p50 ${exchange.p50} ms; ${exchange.roundTrips.toFixed(2)} round trips each`,
    `JWT access token, local  : ${us(tokenCheck.localCpu)} CPU per jwtVerify (cached key set), ${tokenCheck.localChecks} checks`,
    `  by introspection       : service ${us(tokenCheck.introspectionCpu)} CPU per POST /oauth2/introspect, caller ${us(tokenCheck.callerCpu)}; ${tokenCheck.calls} calls, 4 at once; ${(tokenCheck.introspectionCpu / tokenCheck.localCpu).toFixed(0)}× local (service's alone)`,
    `flood of one account     : ${flood.flood.perSecond.toFixed(0)} requests/s from 64 connections for ${flood.flood.seconds} s (${statuses(flood.flood.statuses)}; ${flood.flood.errors} errors)`,
    `  others' sign-ins       : p50 ${flood.before.p50} ms before (${flood.before.count}), ${flood.during.p50} ms during (${flood.during.count}); meanwhile the instance used ${flood.serviceCores.toFixed(2)} cores, the database ${Number.isNaN(flood.databaseCores) ? '–' : flood.databaseCores.toFixed(2)}`,
    `500 sign-ins at once     : ${statuses(burst.statuses)}; ${burst.errors} errors, ${burst.timeouts} timeouts; done in ${burst.seconds} s (p50 ${burst.p50} ms, max ${burst.max} ms); VmHWM ${mb(burst.highWaterMark)}`,
    ...(r.grown
      ? [
          `loading ${r.extraAccounts} accounts: ${r.loadSeconds.toFixed(0)} s (${(r.extraAccounts / r.loadSeconds).toFixed(0)} records/s, insertMany of ${r.batch}; search fields ${searchFieldsIncluded ? 'included (dist/users/search-keys.js)' : 'left out: the build has no dist/users/search-keys.js'})`,
          ...growth(`With ${r.extraAccounts} more accounts:`, r.grown),
        ]
      : []),
    `main instance after all  : VmHWM ${mb(r.serviceHighWaterMark)}`,
    '```',
  ];
}

function machine(r) {
  const { environment } = r;
  const engine =
    environment.database.engine === 'MONGODB_URI'
      ? `the server in MONGODB_URI (reports version ${r.databaseVersion})`
      : `${environment.database.engine} on this machine, sharing its cores (reports MongoDB ${r.databaseVersion})`;
  return [
    `- CPU: ${os.cpus()[0]?.model.trim() ?? 'unknown'}, ${os.availableParallelism()} cores; RAM ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB; Linux ${os.release()}`,
    `- Load average (1 min) before and after: ${environment.loadBefore[0].toFixed(2)}, ${environment.loadAfter[0].toFixed(2)} (a shared machine: other work may run meanwhile)`,
    `- Node.js ${process.version}, NestJS ${versionOf('@nestjs/core')}, express ${versionOf('express')}, mongoose ${versionOf('mongoose')} (driver ${versionOf('mongodb')}), oidc-provider ${versionOf('oidc-provider')}, argon2 ${versionOf('argon2')} (argon2id m=${r.ceiling.options.memoryCost} KiB, t=${r.ceiling.options.timeCost}, p=${r.ceiling.options.parallelism}), jose ${versionOf('jose')}, autocannon ${versionOf('autocannon')}`,
    `- Better Auth ${r.betterAuthVersion} (bench/better-auth), defaults but email and password; no cookie cache (off by default)`,
    `- Database: ${engine}`,
    `- Load phases of ${r.seconds} s (BENCH_SECONDS); the run took ${((Date.now() - environment.startedAt) / 60000).toFixed(1)} minutes`,
  ];
}

function section(r) {
  const title = r.grown
    ? `## With --accounts ${r.extraAccounts}`
    : '## Default run (empty database)';
  return [
    title,
    '',
    `${r.environment.startedAt.toISOString()}.`,
    '',
    '| What | Measured | Target | Result |',
    '| --- | --- | --- | --- |',
    ...targetRows(r).map((row) => `| ${row.join(' | ')} |`),
    '',
    ...rawFigures(r),
    '',
    ...machine(r),
    '',
  ].join('\n');
}

/** Writes this run's section into bench/results.md; returns it. */
function writeResults(r) {
  const name = r.grown ? 'accounts' : 'default';
  const body = section(r);
  const sections = { default: '', accounts: '' };
  if (existsSync(FILE)) {
    const old = readFileSync(FILE, 'utf8');
    for (const key of Object.keys(sections)) {
      const match = new RegExp(`<!-- ${key} -->\\n([\\s\\S]*?)<!-- /${key} -->`).exec(old);
      if (match) sections[key] = match[1];
    }
  }
  sections[name] = body;
  const parts = Object.entries(sections)
    .filter(([, text]) => text)
    .map(([key, text]) => `<!-- ${key} -->\n${text}<!-- /${key} -->\n`);
  writeFileSync(FILE, `${HEADER}\n${parts.join('\n')}`);
  return body;
}

module.exports = { writeResults };
