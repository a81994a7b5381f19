// Login throughput against the argon2 ceiling of this machine, measured in one run.
//   npm run bench            (builds first; uses MONGODB_URI if set, else an embedded database)
// A password sign-in costs one argon2id verification, so no login path can beat the rate at which
// this machine verifies hashes with the same parameters. The ratio says how close we get.
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

async function main() {
  const mongo = process.env.MONGODB_URI
    ? undefined
    : await startEmbeddedMongo({ projectRoot: process.cwd() });
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SIGN_IN_RATE_LIMIT: '100000',
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
  const post = (path, body) => request(agent, port, path, body);

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

  agent.destroy();
  await app.close();
  await mongo?.stop();
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
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rate: latencies.length / ((Date.now() - started) / 1000), p50: at(0.5), p99: at(0.99) };
}

function request(agent, port, path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
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
