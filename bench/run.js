// npm run bench [-- --accounts N]: the service's own cost per operation, as CPU time of its whole
// process (all threads, from /proc/<pid>/stat) per request answered and as database round trips,
// with ratios of figures taken in one run; written to bench/results.md (bench/report.js), the
// targets of issue 22 with PASS/FAIL. It starts a database (MONGODB_URI's server when set, else the
// embedded one), a mail sink, the production build (dist/main.js, NODE_ENV=production, with an app
// and an API of its OpenID provider), a minimal NestJS app and Better Auth on the same database
// server, and loads them with autocannon. Then:
//   - CPU per request: GET /health/live, the minimal app, GET /me, Better Auth's get-session,
//     password sign-in (and the argon2 verify's own CPU, bench/argon2-ceiling.js), userinfo, the
//     code exchange at the token endpoint; round trips of sign-in, GET /me, userinfo, the exchange;
//   - an API's check of a JWT access token, locally against introspection, CPU per check;
//   - admin search p50 for an email, a username and a name;
//   - a flood of one account (an instance with the default limits) against other people's sign-in;
//   - 500 sign-ins at once (an instance of their own): no 5xx, its peak resident memory;
//   - with --accounts N: N accounts inserted straight into the database, then GET /me, sign-in and
//     the searches again, against the empty-database figures of the same run;
//   - the main instance's peak resident memory after all of it.
// BENCH_SECONDS (default 5) sets the length of the load phases; BENCH_BATCH (default 2000) the
// records per insertMany of --accounts.
'use strict';
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { MongoClient } = require('mongodb');
const {
  ROOT,
  startDatabase,
  startMailSink,
  startServer,
  cpuMeter,
  poolCpuSeconds,
  serviceStart,
  memoryBytes,
  load,
  answered,
  statusCounts,
  sleep,
} = require('./support');
const { PASSWORD, passwordHash, userRecord, loadAccounts } = require('./accounts');
const oidc = require('./oidc');
const { startBetterAuth } = require('./better-auth');
const { writeResults } = require('./report');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 2000);
const SIGN_IN_ACCOUNTS = 20;
const FLOOD_PEOPLE = 100;
/** How long the CPU a process uses while idle is measured, before each load phase. */
const IDLE_MS = 3000;
/** Sign-ins per measured round of the figures that must stay flat as accounts grow. */
const SIGN_INS_MEASURED = 60;
const FLOOR_ACCOUNT = 'benchfloor';
const JSON_HEADERS = { 'content-type': 'application/json' };
// The searches: one account's email, username and name, which no other account starts with.
const SEARCHES = { email: 'bench0@example.test', username: 'benchadmin', name: 'Grace Hopper' };

function parseArguments(argv) {
  const at = argv.indexOf('--accounts');
  if (at < 0) return { accounts: 0 };
  const accounts = Number(argv[at + 1]);
  if (!Number.isInteger(accounts) || accounts < 1) throw new Error('--accounts takes a count');
  return { accounts };
}

async function main() {
  const { accounts: extraAccounts } = parseArguments(process.argv.slice(2));
  // No hang: past this the bench stops, cleaning up what it started.
  const deadlineMinutes = 12 + Math.ceil(extraAccounts / 20_000);
  let deadline;
  const overDeadline = new Promise((_, reject) => {
    deadline = setTimeout(
      () => reject(new Error(`the bench took over ${deadlineMinutes} minutes`)),
      deadlineMinutes * 60_000,
    );
  });
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const logs = mkdtempSync(join(os.tmpdir(), 'account-bench-'));
  const database = await startDatabase();
  const started = [];
  const databaseName = `bench_${Date.now()}`;
  const client = new MongoClient(database.uri(databaseName));
  const results = { extraAccounts, batch: BATCH, seconds: SECONDS };
  let failed = false;
  try {
    await client.connect();
    const mail = await startMailSink();
    started.push(mail);
    const context = { database, client, databaseName, logs, mail, started, results };
    await Promise.race([measure(context), overDeadline]);
  } catch (error) {
    // Said before cleaning up, which may itself take long (a large database to drop); nothing
    // is written to bench/results.md.
    console.error(error);
    failed = true;
  } finally {
    clearTimeout(deadline);
    // At most a minute; past it, exiting kills whatever the bench started (support.js).
    const cleanup = async () => {
      for (const each of started.reverse()) await each.stop();
      await client
        .db(databaseName)
        .dropDatabase()
        .catch(() => undefined);
      await client
        .db(`${databaseName}_better_auth`)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
      await database.stop?.();
    };
    let cleanupDeadline;
    await Promise.race([
      cleanup(),
      new Promise(() => {
        cleanupDeadline = setTimeout(() => {
          console.error('bench: cleaning up took over a minute; exiting');
          process.exit(1);
        }, 60_000);
      }),
    ]);
    clearTimeout(cleanupDeadline);
  }
  if (failed) {
    process.exitCode = 1;
    return;
  }
  results.environment = { startedAt, loadBefore, loadAfter: os.loadavg(), database };
  const written = writeResults(results);
  process.stdout.write(written);
  process.stdout.write(`\nWritten to bench/results.md; the servers' logs are in ${logs}\n`);
}

async function measure({ database, client, databaseName, logs, mail, started, results }) {
  const base = {
    NODE_ENV: 'production',
    MONGODB_URI: database.uri(databaseName),
    SMTP_URL: mail.url,
    MAIL_FROM: 'Bench <bench@example.test>',
    // Required in production; fresh ones per run.
    CSRF_SECRET: randomBytes(32).toString('base64url'),
    TWO_STEP_SECRET: randomBytes(32).toString('base64url'),
  };
  const env = {
    ...base,
    ...oidc.oidcEnvironment(),
    // All of the bench's requests come from one address, and each account signs in hundreds of
    // times a minute: the per-client and per-account limits (20 a minute) would refuse nearly
    // all. A check counts as a failure until it succeeds: dozens at once on one account would
    // otherwise make it wait. The lock stays at its default (100).
    SIGN_IN_RATE_LIMIT: '100000',
    SIGN_IN_FREE_FAILURES: '100000',
    ADMIN_RATE_LIMIT: '1000000',
  };
  const start = async (name, script, environment, readyPath) => {
    const server = await startServer({
      script,
      env: environment,
      logFile: join(logs, `${name}.log`),
      readyPath,
    });
    started.push(server);
    return server;
  };
  const service = await start('service', 'dist/main.js', env, '/health/ready');
  const minimal = await start(
    'minimal-app',
    'bench/minimal-app.js',
    { NODE_ENV: 'production' },
    '/health/live',
  );
  // The same app doing the service's own work of every request: `/health/live`'s floor.
  const liveFloor = await start(
    'minimal-app-with-service-work',
    'bench/minimal-app.js',
    { NODE_ENV: 'production', WITH_SERVICE_WORK: '1' },
    '/health/live',
  );
  const betterAuth = await startBetterAuth({
    databaseUri: database.uri(`${databaseName}_better_auth`),
    logFile: join(logs, 'better-auth.log'),
  });
  started.push(betterAuth.server);
  results.betterAuthVersion = betterAuth.version;

  // The bench's accounts, written as registered ones would be (one hash for all).
  const hash = await passwordHash(env);
  const users = client.db(databaseName).collection('users');
  const signInAccounts = Array.from({ length: SIGN_IN_ACCOUNTS }, (_, i) => `bench${i}`);
  const people = Array.from({ length: FLOOD_PEOPLE }, (_, i) => `person${i}`);
  const benchAccounts = [
    userRecord({
      username: 'benchadmin',
      email: 'admin@example.test',
      name: 'Bench Admin',
      hash,
      role: 'admin',
    }),
    ...signInAccounts.map((username, i) =>
      userRecord({
        username,
        email: `${username}@example.test`,
        name: i === 0 ? SEARCHES.name : `Bench Person ${i}`,
        hash,
      }),
    ),
    ...people.map((username) =>
      userRecord({ username, email: `${username}@example.test`, name: 'Flood Bystander', hash }),
    ),
    userRecord({ username: 'flooded', email: 'flooded@example.test', name: 'Flooded', hash }),
    // The sign-in floor's account (bench/driver-floor.js): its checks count on no other's.
    userRecord({ username: FLOOR_ACCOUNT, email: 'floor@example.test', name: 'Floor', hash }),
  ];
  await users.insertMany(benchAccounts);
  results.benchAccounts = benchAccounts.length;
  const admin = await signIn(service.url, 'benchadmin');
  const me = { url: service.url + '/me', headers: { cookie: await signIn(service.url, 'bench0') } };
  const roundTrips = roundTripCounter(client);

  // The argon2 verify's own CPU, with the service's parameters and parallelism.
  results.ceiling = ceilingRun(env);

  // CPU per request of the cheap routes and the yardsticks, two rounds in turn, so that a burst
  // of other work on this shared machine spoils one round rather than one side of a ratio; the
  // cheaper round of each counts.
  const light = {
    live: { url: service.url + '/health/live', pid: service.pid },
    minimal: { url: minimal.url + '/health/live', pid: minimal.pid },
    liveFloor: { url: liveFloor.url + '/health/live', pid: liveFloor.pid },
    me: { ...me, pid: service.pid },
    betterAuth: {
      url: betterAuth.server.url + '/api/auth/get-session',
      headers: { cookie: betterAuth.cookie },
      pid: betterAuth.server.pid,
    },
  };
  results.light = {};
  for (let round = 0; round < 2; round++) {
    for (const [name, { pid, ...target }] of Object.entries(light)) {
      const run = await cpuPerRequest(target, { pid, database, seconds: SECONDS });
      if (!results.light[name] || run.cpu < results.light[name].cpu) results.light[name] = run;
    }
  }
  const betterAuthCheck = await fetch(light.betterAuth.url, { headers: light.betterAuth.headers });
  if (!(await betterAuthCheck.json())?.session) throw new Error('Better Auth: no session');
  await betterAuth.server.stop();
  await minimal.stop();
  await liveFloor.stop();

  results.empty = await growthFigures({ service, me, admin, database, roundTrips, signInAccounts });

  // The provider: userinfo with an opaque access token, the code exchange, and an API's check of
  // a JWT access token, locally and by introspection.
  const meCookie = me.headers.cookie;
  const { opaque, jwt } = await oidc.tokens(service.url, meCookie);
  const userinfo = {
    url: service.url + '/oauth2/userinfo',
    headers: { authorization: `Bearer ${opaque}` },
  };
  results.userinfo = await cpuPerRequest(userinfo, {
    pid: service.pid,
    database,
    seconds: SECONDS,
    roundTrips,
  });
  results.exchange = await codeExchanges(service, meCookie, database, roundTrips);
  results.tokenCheck = await tokenChecks(service, jwt, opaque);

  results.flood = await flood({ base, start, database, people });
  results.burst = await burst({ env, start, signInAccounts });

  if (results.extraAccounts > 0) {
    const progress = (done) => {
      if (done % 20_000 === 0 || done === results.extraAccounts)
        process.stdout.write(`loaded ${done} accounts\n`);
    };
    results.loadSeconds = await loadAccounts(users, {
      count: results.extraAccounts,
      batch: BATCH,
      hash,
      progress,
    });
    results.grown = await growthFigures({
      service,
      me,
      admin,
      database,
      roundTrips,
      signInAccounts,
    });
  }

  // The floors under GET /me and a sign-in: the same commands by the driver alone, in a plain
  // process; the cheaper of two runs. Last, so that their writes (the sign-in's, to a database of
  // their own) come after every phase of the service.
  results.floors = {
    sessionRead: cheaperFloor(env, 'session-read'),
    signIn: cheaperFloor(env, 'sign-in'),
  };
  results.serviceHighWaterMark = memoryBytes(service.pid, 'VmHWM');
  results.databaseVersion = (await client.db().admin().command({ buildInfo: 1 })).version;
}

/** A session cookie of `username` (a Cookie header's value), from a password sign-in. */
async function signIn(url, username, headers = {}) {
  const response = await fetch(url + '/auth/login', {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ login: username, password: PASSWORD }),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200)
    throw new Error(`sign-in of ${username}: ${response.status} ${await response.text()}`);
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

/**
 * CPU per request of the process `pid` (all its threads) over an autocannon load of `target`,
 * after a one-second warm-up, with the database's CPU per request beside it. Every answer 2xx.
 * Given `amount`, the load is that many requests (and the warm-up `connections`), however long
 * they take, rather than `seconds` of them.
 */
async function cpuPerRequest(
  target,
  { pid, database, seconds, amount, connections = 10, roundTrips },
) {
  // What the process uses while idle (its outbox workers' polls, the driver's monitoring, timers)
  // is taken off: otherwise a phase that a slow database makes long charges its requests for it.
  const idleFrom = Date.now();
  const idle = cpuMeter({ process: pid });
  const startCounting = roundTrips ? await roundTrips.idle() : await sleep(IDLE_MS);
  const idlePerSecond = idle().process / ((Date.now() - idleFrom) / 1000);
  const extent = (warmUp) =>
    amount === undefined
      ? { duration: warmUp ? 1 : seconds }
      : { amount: warmUp ? connections : amount };
  await load({ ...target, connections, ...extent(true) });
  const counted = startCounting ? await startCounting() : undefined;
  const cpu = cpuMeter({ process: pid, database: database.pid });
  const poolBefore = poolCpuSeconds(pid);
  const from = Date.now();
  const run = await load({ ...target, connections, ...extent(false) });
  const used = cpu();
  const idleDuring = idlePerSecond * ((Date.now() - from) / 1000);
  const pool = poolCpuSeconds(pid) - poolBefore;
  const received = counted ? await counted() : NaN;
  const count = answered(run);
  if (run.non2xx > 0 || run.errors > 0 || count === 0)
    throw new Error(`${target.url}: ${JSON.stringify(statusCounts(run))}, ${run.errors} errors`);
  return {
    cpu: Math.max(0, used.process - idleDuring) / count,
    rawCpu: used.process / count,
    idleShare: Math.min(1, idleDuring / used.process),
    idlePerSecond,
    databaseCpu: used.database / count,
    poolCpu: pool / count,
    count,
    perSecond: run.requests.average,
    p50: run.latency.p50,
    roundTrips: received / count,
  };
}

/**
 * Round trips, counted by the database itself: the requests it received (`serverStatus`
 * `network.numRequests`) over a measured phase, less what it receives while the service is idle
 * (the drivers' monitoring, measured for two seconds first). Not its opcounters: mongod counts
 * each write of a `bulkWrite` there besides the command.
 */
function roundTripCounter(client) {
  const requests = async () =>
    Number((await client.db().admin().command({ serverStatus: 1 })).network.numRequests);
  return {
    /** Starts counting; `await idle()` first. The returned function gives the requests since. */
    async idle() {
      const idleStart = await requests();
      const idleFrom = Date.now();
      await sleep(IDLE_MS);
      const idlePerMs = ((await requests()) - idleStart) / (Date.now() - idleFrom);
      return async () => {
        const from = Date.now();
        const before = await requests();
        return async () =>
          // The serverStatus commands of the count itself are requests too.
          (await requests()) - before - 1 - idlePerMs * (Date.now() - from);
      };
    },
  };
}

/** The cheaper of two runs of bench/driver-floor.js in `mode`, each in a process of its own. */
function cheaperFloor(env, mode) {
  const [first, second] = [driverFloorRun(env, mode), driverFloorRun(env, mode)];
  return first.cpuPerRequest <= second.cpuPerRequest ? first : second;
}

/**
 * The cheaper (by CPU per request) of two runs of `measure`, one after the other: a burst of other
 * work on this shared machine then spoils one run rather than the figure.
 */
async function cheaperOfTwo(measure) {
  const first = await measure();
  const second = await measure();
  return second.cpu < first.cpu ? second : first;
}

/** An autocannon target of password sign-ins at `url`, the `accounts` in turn. */
function signIns(url, accounts) {
  let next = 0;
  return {
    url,
    requests: [
      {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_HEADERS,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ login: accounts[next++ % accounts.length], password: PASSWORD }),
        }),
      },
    ],
  };
}

function driverFloorRun(env, mode) {
  const run = spawnSync(process.execPath, [join(__dirname, 'driver-floor.js'), mode], {
    cwd: ROOT,
    env: { ...process.env, ...env, FLOOR_LOGIN: FLOOR_ACCOUNT },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`driver-floor.js failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The argon2 ceiling, measured by a process of its own with the service's environment. */
function ceilingRun(env) {
  const run = spawnSync(process.execPath, [join(__dirname, 'argon2-ceiling.js')], {
    cwd: ROOT,
    // The allocator's settings of `npm start` too: they decide what each verify costs in memory.
    env: { ...process.env, ...serviceStart().env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`argon2-ceiling.js failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * What must stay flat as accounts grow: GET /me and sign-in CPU per request (with their round
 * trips), and the admin searches' p50.
 */
async function growthFigures({ service, me, admin, database, roundTrips, signInAccounts }) {
  const figures = {};
  // Two rounds, the cheaper counts, as for the cheap routes.
  figures.me = await cheaperOfTwo(() =>
    cpuPerRequest(me, { pid: service.pid, database, seconds: SECONDS, roundTrips }),
  );
  // Sign-ins, one account after another, two per core at once (twice ARGON2_MAX_CONCURRENCY's
  // default, so that argon2 always has the next waiting); two rounds, the cheaper counts. A
  // number of sign-ins rather than a time: SecantusDB answers a findAndModify (a sign-in finds its
  // account with one) by reading the whole collection, over a second at 200,000 accounts, so a
  // phase of a few seconds would see none finish there (mongod uses the index).
  const logins = signIns(service.url, signInAccounts);
  const connections = 2 * os.availableParallelism();
  figures.signIn = await cheaperOfTwo(() =>
    cpuPerRequest(logins, {
      pid: service.pid,
      database,
      amount: SIGN_INS_MEASURED,
      connections,
      roundTrips,
    }),
  );
  figures.search = {};
  for (const [kind, query] of Object.entries(SEARCHES)) {
    figures.search[kind] = await searchP50(service, admin, query, database);
  }
  return figures;
}

/** p50 of `GET /admin/users?query=`, one after another, each finding the one account. */
async function searchP50(service, cookie, query, database) {
  const url = `${service.url}/admin/users?${new URLSearchParams({ query })}`;
  const times = [];
  const cpu = cpuMeter({ process: service.pid, database: database.pid });
  const count = 30;
  for (let i = 0; i < count + 3; i++) {
    const begun = process.hrtime.bigint();
    const response = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(60_000) });
    const body = await response.json();
    if (response.status !== 200 || body.users.length !== 1)
      throw new Error(
        `search "${query}": ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
      );
    // The first three warm up.
    if (i >= 3) times.push(Number(process.hrtime.bigint() - begun) / 1e6);
  }
  const used = cpu();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], cpu: used.process / (count + 3), count };
}

/** CPU per code exchange at the token endpoint: codes minted first, then exchanged under load. */
async function codeExchanges(service, cookie, database, roundTrips) {
  const codes = [];
  // Codes live a minute: mint them four at a time, then exchange them at once.
  const count = 120;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let minted = 0; minted < count / 4; minted++) {
        codes.push(await oidc.authorizationCode(service.url, cookie));
      }
    }),
  );
  let next = 0;
  const counted = await (await roundTrips.idle())();
  const cpu = cpuMeter({ process: service.pid, database: database.pid });
  const run = await load({
    url: service.url,
    connections: 4,
    amount: codes.length,
    requests: [
      { setupRequest: (request) => ({ ...request, ...oidc.codeExchange(codes[next++]) }) },
    ],
  });
  const used = cpu();
  const received = await counted();
  const statuses = statusCounts(run);
  if (statuses[200] !== codes.length)
    throw new Error(`code exchange: ${JSON.stringify(statuses)}, ${run.errors} errors`);
  return {
    cpu: used.process / codes.length,
    databaseCpu: used.database / codes.length,
    count: codes.length,
    p50: run.latency.p50,
    roundTrips: received / codes.length,
  };
}

/**
 * An API's check of an access token: locally (jose's jwtVerify against a cached remote key set,
 * as examples/api-guard.ts does), this process's CPU per check; and by introspection, the
 * service's CPU per `POST /oauth2/introspect` and the caller's (this process) apart.
 */
async function tokenChecks(service, jwt, opaque) {
  const { issuer } = await (await fetch(`${service.url}/.well-known/openid-configuration`)).json();
  const keys = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
  const verify = () =>
    jwtVerify(jwt, keys, { issuer, audience: oidc.API, typ: 'at+jwt', algorithms: ['RS256'] });
  for (let i = 0; i < 50; i++) await verify();
  const localChecks = 2000;
  const local = cpuMeter({});
  for (let i = 0; i < localChecks; i++) await verify();
  const localCpu = local().bench / localChecks;

  const { method, path, headers, body } = oidc.introspection(opaque);
  const introspect = async () => {
    const response = await fetch(service.url + path, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    if (!(await response.json()).active) throw new Error('introspection: not active');
  };
  for (let i = 0; i < 20; i++) await introspect();
  const calls = 400;
  let left = calls;
  const remote = cpuMeter({ service: service.pid });
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (left-- > 0) await introspect();
    }),
  );
  const used = remote();
  return {
    localCpu,
    localChecks,
    introspectionCpu: used.service / calls,
    callerCpu: used.bench / calls,
    calls,
  };
}

/** An address of its own for the i-th simulated person (X-Forwarded-For, TRUST_PROXY=loopback). */
const addressOf = (i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/**
 * Other people's sign-in p50 before and during a flood of wrong passwords at one account from 64
 * connections, each request from an address of its own, on an instance with the default limits.
 */
async function flood({ base, start, database, people }) {
  const server = await start(
    'service-flood',
    'dist/main.js',
    { ...base, TRUST_PROXY: 'loopback' },
    '/health/ready',
  );
  try {
    let next = 0;
    const others = {
      url: server.url,
      connections: 2,
      requests: [
        {
          method: 'POST',
          path: '/auth/login',
          setupRequest: (request) => {
            const i = next++ % people.length;
            return {
              ...request,
              headers: { ...JSON_HEADERS, 'x-forwarded-for': addressOf(i) },
              body: JSON.stringify({ login: people[i], password: PASSWORD }),
            };
          },
        },
      ],
    };
    let attacker = 0;
    const attack = {
      url: server.url,
      connections: 64,
      requests: [
        {
          method: 'POST',
          path: '/auth/login',
          setupRequest: (request) => {
            attacker += 1;
            return {
              ...request,
              headers: {
                ...JSON_HEADERS,
                'x-forwarded-for': `10.2.${Math.floor(attacker / 250) % 250}.${(attacker % 250) + 1}`,
              },
              body: JSON.stringify({ login: 'flooded', password: `wrong ${attacker}` }),
            };
          },
        },
      ],
    };
    await load({ ...others, amount: 20 });
    const before = await load({ ...others, duration: SECONDS });
    const floodSeconds = SECONDS + 4;
    const attackRun = load({ ...attack, duration: floodSeconds });
    await sleep(2000);
    const cpu = cpuMeter({ process: server.pid, database: database.pid });
    const during = await load({ ...others, duration: SECONDS });
    const used = cpu();
    const attackResult = await attackRun;
    for (const [name, run] of Object.entries({ before, during })) {
      if (statusCounts(run)[200] !== answered(run) || run.errors > 0)
        throw new Error(
          `flood, ${name}: ${JSON.stringify(statusCounts(run))}, ${run.errors} errors`,
        );
    }
    return {
      before: { p50: before.latency.p50, count: answered(before) },
      during: { p50: during.latency.p50, count: answered(during) },
      flood: {
        perSecond: answered(attackResult) / attackResult.duration,
        statuses: statusCounts(attackResult),
        errors: attackResult.errors,
        seconds: attackResult.duration,
      },
      serviceCores: used.process / SECONDS,
      databaseCores: used.database / SECONDS,
    };
  } finally {
    await server.stop();
  }
}

/** 500 sign-ins at once on an instance of their own, so that its peak memory is theirs. */
async function burst({ env, start, signInAccounts }) {
  const server = await start('service-burst', 'dist/main.js', env, '/health/ready');
  try {
    const logins = signIns(server.url, signInAccounts);
    await load({ ...logins, connections: 4, amount: 40 });
    const run = await load({ ...logins, connections: 500, amount: 500, timeout: 120 });
    return {
      statuses: statusCounts(run),
      errors: run.errors,
      timeouts: run.timeouts,
      seconds: run.duration,
      p50: run.latency.p50,
      max: run.latency.max,
      highWaterMark: memoryBytes(server.pid, 'VmHWM'),
    };
  } finally {
    await server.stop();
  }
}

// Ctrl-C: exit, so that every process the bench started is killed on the way out.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
