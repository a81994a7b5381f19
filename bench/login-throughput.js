// Login throughput against the argon2 ceiling of this machine, then a login's latency alone and
// during a flood of wrong password changes on another account, measured in one run.
//   npm run bench            (builds first; uses MONGODB_URI if set, else an embedded database)
// A password sign-in costs one argon2id verification, so no login path can beat the rate at which
// this machine verifies hashes with the same parameters. The first ratio says how close we get; the
// second how much a flood on one account slows everybody else down (1 would be not at all).
'use strict';
require('reflect-metadata');
const http = require('node:http');
const os = require('node:os');
const argon2 = require('argon2');
const { NestFactory } = require('@nestjs/core');
const { AppModule } = require('../dist/app.module');
const { AppConfig } = require('../dist/config/app-config');
const { configureApp } = require('../dist/configure-app');
const { startEmbeddedMongo } = require('../dist/database/embedded-mongo');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? os.availableParallelism() * 4);
const PASSWORD = 'correct horse battery staple';
const FLOOD = Number(process.env.BENCH_FLOOD ?? 64);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);

async function main() {
  const mongo = process.env.MONGODB_URI
    ? undefined
    : await startEmbeddedMongo({ projectRoot: process.cwd() });
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SIGN_IN_RATE_LIMIT: '100000',
    // The flood of wrong passwords measures the argon2 queue: lift the failure limits, which would
    // otherwise refuse all but a few of its checks without any argon2 work.
    SIGN_IN_FREE_FAILURES: '100000',
    SIGN_IN_LOCK_AFTER_FAILURES: '100000',
    MONGODB_URI: process.env.MONGODB_URI ?? mongo.uri(`bench_${Date.now()}`),
  });
  const app = await NestFactory.create(AppModule, {
    bodyParser: false,
    logger: ['error'],
    abortOnError: false,
  });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const config = app.get(AppConfig);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (path, body) => request(agent, port, 'POST', path, body);

  const registered = await post('/auth/register', {
    email: 'bench@example.test',
    username: 'bench',
    password: PASSWORD,
  });
  if (registered.status !== 201)
    throw new Error(`registration failed: ${registered.status} ${registered.body}`);

  const options = {
    type: argon2.argon2id,
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
  };
  const hash = await argon2.hash(PASSWORD.normalize('NFKC'), options);
  const ceiling = await measure(() => argon2.verify(hash, PASSWORD));
  const logins = await measure(async () => {
    const response = await post('/auth/login', { login: 'bench', password: PASSWORD });
    if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  });

  console.log(
    `argon2id m=${options.memoryCost} KiB t=${options.timeCost} p=${options.parallelism}, ${os.availableParallelism()} cores, ${CONCURRENCY} at once, ${SECONDS} s each`,
  );
  console.log(`argon2 verify ceiling : ${ceiling.rate.toFixed(1)}/s`);
  console.log(
    `POST /auth/login      : ${logins.rate.toFixed(1)}/s  (p50 ${logins.p50.toFixed(0)} ms, p99 ${logins.p99.toFixed(0)} ms)`,
  );
  console.log(`login / ceiling       : ${(logins.rate / ceiling.rate).toFixed(2)}`);

  await floodLatency(port, config);

  agent.destroy();
  await app.close();
  await mongo?.stop();
}

/**
 * A normal login's latency alone, then while FLOOD wrong `PUT /me/password` on one other account are
 * in flight at all times (each answered one is sent again). Logins are sent one after another.
 */
async function floodLatency(port, config) {
  const floodAgent = new http.Agent({ keepAlive: true, maxSockets: FLOOD });
  const loginAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const registered = await request(floodAgent, port, 'POST', '/auth/register', {
    email: 'flooded@example.test',
    password: PASSWORD,
  });
  if (registered.status !== 201) throw new Error(`registration failed: ${registered.status}`);
  const cookie = registered.headers['set-cookie'][0].split(';')[0];
  const login = async () => {
    const t0 = process.hrtime.bigint();
    const response = await request(loginAgent, port, 'POST', '/auth/login', {
      login: 'bench',
      password: PASSWORD,
    });
    if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const sample = async () => {
    const latencies = [];
    for (let i = 0; i < SAMPLES; i++) latencies.push(await login());
    return percentiles(latencies);
  };

  const alone = await sample();

  const flood = { stop: false, answered: 0, statuses: {} };
  let steady;
  const floodDone = Promise.all(
    Array.from({ length: FLOOD }, async () => {
      while (!flood.stop) {
        const response = await request(
          floodAgent,
          port,
          'PUT',
          '/me/password',
          {
            currentPassword: 'not the password of this account',
            newPassword: 'whatever the new one would be',
          },
          { cookie },
        );
        flood.statuses[response.status] = (flood.statuses[response.status] ?? 0) + 1;
        if (++flood.answered === FLOOD) steady();
      }
    }),
  );
  // Measured once the flood is in full swing: as many answered as are in flight.
  await new Promise((resolve) => (steady = resolve));
  const during = await sample();
  flood.stop = true;
  await floodDone;
  floodAgent.destroy();
  loginAgent.destroy();

  const answers = Object.entries(flood.statuses)
    .map(([status, count]) => `${status} x${count}`)
    .join(', ');
  console.log(
    `login alone           : p50 ${alone.p50.toFixed(0)} ms, p90 ${alone.p90.toFixed(0)} ms  (${SAMPLES} one after another)`,
  );
  console.log(
    `login during flood    : p50 ${during.p50.toFixed(0)} ms, p90 ${during.p90.toFixed(0)} ms  (${FLOOD} wrong PUT /me/password at once on one other account, ARGON2_MAX_CONCURRENCY=${config.ARGON2_MAX_CONCURRENCY}; flood answers: ${answers})`,
  );
  console.log(`flood / alone (p50)   : ${(during.p50 / alone.p50).toFixed(2)}`);
}

function percentiles(latencies) {
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** Runs `task` CONCURRENCY at a time for SECONDS; returns completions per second and latencies. */
async function measure(task) {
  const latencies = [];
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const t0 = process.hrtime.bigint();
        await task();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const { p50, p99 } = percentiles(latencies);
  return { rate: latencies.length / ((Date.now() - started) / 1000), p50, p99 };
}

function request(agent, port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
