// Better Auth beside the service, as the yardstick of GET /me: installed into bench/better-auth
// (its own package.json and lockfile, `npm ci` there on first use; never a dependency of the
// service) and run as a process of its own on the bench's database server, in a database of its own.
'use strict';
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { startServer } = require('./support');

const FOLDER = join(__dirname, 'better-auth');

/** `npm ci` in bench/better-auth when its packages are not there yet. */
function installBetterAuth() {
  if (existsSync(join(FOLDER, 'node_modules/better-auth/package.json'))) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['ci', '--prefix', FOLDER, '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error('npm ci in bench/better-auth failed');
}

function betterAuthVersion() {
  const file = join(FOLDER, 'node_modules/better-auth/package.json');
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

/** Starts Better Auth on `databaseUri`; signs up one person; returns the server and their cookie. */
async function startBetterAuth({ databaseUri, logFile }) {
  installBetterAuth();
  const server = await startServer({
    script: 'bench/better-auth/server.mjs',
    env: { MONGODB_URI: databaseUri, BETTER_AUTH_SECRET: randomBytes(32).toString('base64url') },
    logFile,
    readyPath: '/health',
  });
  try {
    const response = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: 'POST',
      // Better Auth refuses a request with cookies or a body from an origin it does not trust.
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({
        email: 'better-auth@example.test',
        password: 'correct horse battery staple',
        name: 'Better Auth',
      }),
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status !== 200)
      throw new Error(`Better Auth sign-up: ${response.status} ${await response.text()}`);
    const cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    return { server, cookie, version: betterAuthVersion() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

module.exports = { startBetterAuth };
