// What the bench needs around the service: a database, a mail sink, the built service as a process
// of its own, what /proc says about processes, and autocannon runs.
'use strict';
const { spawn } = require('node:child_process');
const { closeSync, openSync, readFileSync, readdirSync } = require('node:fs');
const { freePort } = require('../scripts/free-port');
const { join, resolve } = require('node:path');
const autocannon = require('autocannon');
const { SMTPServer } = require('smtp-server');

const ROOT = join(__dirname, '..');

/** The database: MONGODB_URI's server when set, else an embedded one (SecantusDB here). */
async function startDatabase() {
  if (process.env.MONGODB_URI) {
    const uri = process.env.MONGODB_URI;
    return { engine: 'MONGODB_URI', uri: (name) => withDatabase(uri, name), pid: undefined };
  }
  const { startEmbeddedMongo } = require(join(ROOT, 'dist/platform/database/embedded-mongo'));
  const mongo = await startEmbeddedMongo({ projectRoot: ROOT });
  const port = Number(/:(\d+)\//.exec(mongo.uri('x'))[1]);
  return {
    engine: mongo.engine,
    uri: mongo.uri,
    stop: () => mongo.stop(),
    pid: pidListening(port),
  };
}

function withDatabase(uri, name) {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(uri);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// connection string');
  return `${match[1]}/${name}${match[3] ?? ''}`;
}

/** The process whose command line names `--port <port>` (the embedded database). */
function pidListening(port) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('--port');
      if (at >= 0 && args[at + 1] === String(port)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

/** An SMTP server that takes every message and keeps none: production mode wants SMTP_URL. */
async function startMailSink() {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${server.server.address().port}`, stop: () => server.close() };
}

/** Every child the bench starts, killed on the way out whatever happens (an error, Ctrl-C). */
const children = new Set();
function killChildren() {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killChildren);

/**
 * Starts `node <script>` with `env` (over this process's), its output in `logFile`, and waits until
 * `readyPath` answers 200. Returns its pid, url and stop().
 */
async function startServer({ script, env, logFile, readyPath, nodeArgs = [] }) {
  if (script === 'dist/main.js') {
    const start = serviceStart();
    env = { ...start.env, ...env };
    nodeArgs = [...start.nodeArgs, ...nodeArgs];
  }
  const port = await freePort();
  // The child writes its output to the file itself, as a deployment writes to a file or a log
  // collector. Through a pipe, this process, which also runs the load, would relay every line, and
  // a pipe it read too late would hold the child's writes back.
  const log = openSync(logFile, 'w');
  let child;
  try {
    child = spawn(process.execPath, [...nodeArgs, resolve(ROOT, script)], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${script} exited (${child.exitCode}): see ${logFile}`);
    try {
      const answer = await fetch(url + readyPath, { signal: AbortSignal.timeout(5000) });
      if (answer.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not start within 60 s: see ${logFile}`);
    }
    await sleep(100);
  }
  return {
    pid: child.pid,
    url,
    stop: () =>
      new Promise((resolve) => {
        // Gone already: exited, or killed by a signal (Nest re-raises SIGTERM after closing).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * What `npm start` gives node (package.json's start script: the allocator's settings, the young
 * generation's size): the bench runs the service as it is run in production.
 */
function serviceStart() {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const match = /^((?:[A-Z_]+=\S+ )*)node((?: --?[\w-]+(?:=\S+)?)*) dist\/main\.js$/.exec(
    scripts.start,
  );
  if (!match)
    throw new Error(
      'package.json\'s start script is not "[VAR=value …] node [options] dist/main.js"',
    );
  const env = Object.fromEntries(
    match[1]
      .split(' ')
      .filter(Boolean)
      .map((assignment) => assignment.split('=')),
  );
  return { env, nodeArgs: match[2].split(' ').filter(Boolean) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds a whole process has used, all its threads: utime + stime of /proc/<pid>/stat, or
 * NaN when there is no such process here (a database on another machine).
 */
function cpuSeconds(pid) {
  if (!pid) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), from the third on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of a process's threads of libuv's pool (`libuv-worker`), where argon2 runs: during
 * sign-ins, the verify's own cost in the service itself.
 */
function poolCpuSeconds(pid) {
  let seconds = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'libuv-worker') {
        seconds += cpuSeconds(`${pid}/task/${tid}`);
      }
    } catch {
      // A thread gone meanwhile.
    }
  }
  return seconds;
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM). */
function memoryBytes(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return match ? Number(match[1]) * 1024 : NaN;
}

/**
 * CPU seconds used from now until the returned function is called, by each named process
 * (`{ service: pid, database: pid }`) and by this one (`bench`).
 */
function cpuMeter(pids) {
  const read = () => ({
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)])),
    bench: cpuSeconds(process.pid),
  });
  const before = read();
  return () => {
    const after = read();
    return Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]]));
  };
}

/** An autocannon run; resolves with its result. */
function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ timeout: 30, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/** Answers of an autocannon run, whatever their status. */
function answered(result) {
  return Object.values(statusCounts(result)).reduce((sum, count) => sum + count, 0);
}

/** Counts per status code of an autocannon result, e.g. { 200: 480, 429: 20 }. */
function statusCounts(result) {
  return Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count]),
  );
}

/** The version in an installed package's package.json. */
function versionOf(name) {
  return JSON.parse(
    readFileSync(require.resolve(`${name}/package.json`, { paths: [ROOT] }), 'utf8'),
  ).version;
}

module.exports = {
  ROOT,
  startDatabase,
  startMailSink,
  startServer,
  cpuMeter,
  poolCpuSeconds,
  serviceStart,
  cpuSeconds,
  memoryBytes,
  load,
  answered,
  statusCounts,
  versionOf,
  sleep,
};
