import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mongoose from 'mongoose';

/**
 * A MongoDB server for development and tests, found in this order:
 *  1. a real mongod through mongodb-memory-server (MONGOMS_SYSTEM_BINARY, its cache, or a download);
 *  2. SecantusDB, a MongoDB wire-protocol server on WiredTiger, installed from PyPI on first use
 *     into a git-ignored virtual environment in the project.
 * Both accept transactions (mongod runs as a single-node replica set; SecantusDB has them).
 * Production never uses this: it needs MONGODB_URI.
 */

export const SECANTUS_VERSION = '0.7.0b3';

export interface EmbeddedMongo {
  /** Connection string for `database`. */
  uri(database: string): string;
  engine: 'mongod' | 'SecantusDB';
  stop(): Promise<void>;
}

export interface EmbeddedMongoOptions {
  /** Keep the data in this directory across restarts; omitted: a throw-away database. */
  dataDir?: string;
  /** Where the SecantusDB virtual environment lives (`<projectRoot>/.venv-secantus`). */
  projectRoot: string;
  log?: (message: string) => void;
  /** Skip the search and start this engine (tests that already know which one is available). */
  engine?: EmbeddedMongo['engine'];
}

export async function startEmbeddedMongo(options: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const log = options.log ?? (() => undefined);
  if (options.engine === 'SecantusDB') return startSecantus(options, log);
  if (options.engine === 'mongod') return startMongod(options);
  try {
    return await startMongod(options);
  } catch (error) {
    log(`No mongod binary available (${firstLine(error)}); using SecantusDB instead.`);
  }
  return startSecantus(options, log);
}

async function startMongod({ dataDir }: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  // Offline, a download attempt must fail at once rather than retry with back-off.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  const { MongoBinary, MongoMemoryReplSet } = await import('mongodb-memory-server-core');
  // Locate (or download) the binary first: a failure here is quiet, unlike one inside create().
  await MongoBinary.getPath();
  const path = dataDir && join(dataDir, 'mongod');
  if (path) mkdirSync(path, { recursive: true });
  // A single-node replica set: the service writes a change and its mail in one transaction.
  const replSet = await MongoMemoryReplSet.create({
    replSet: { count: 1, storageEngine: 'wiredTiger' },
    instanceOpts: path ? [{ dbPath: path, storageEngine: 'wiredTiger' }] : [],
  });
  await replSet.waitUntilRunning();
  return {
    engine: 'mongod',
    uri: (database) => replSet.getUri(database),
    stop: async () => {
      await replSet.stop({ doCleanup: !path });
    },
  };
}

async function startSecantus(
  { dataDir, projectRoot }: EmbeddedMongoOptions,
  log: (message: string) => void,
): Promise<EmbeddedMongo> {
  const python = await installSecantus(join(projectRoot, '.venv-secantus'), log);
  const storage = dataDir ? join(dataDir, 'secantus') : ':memory:';
  if (dataDir) mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const child = spawn(
    python,
    [
      '-m',
      'secantus',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--storage-path',
      storage,
      '--log-level',
      'WARNING',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const base = `mongodb://127.0.0.1:${port}`;
  try {
    await waitUntilReady(`${base}/?directConnection=true`, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw error;
  }
  return {
    engine: 'SecantusDB',
    uri: (database) => `${base}/${database}?directConnection=true`,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopProcess(child);
    },
  };
}

/** Creates the virtual environment with the pinned SecantusDB once; returns its python. */
async function installSecantus(venv: string, log: (message: string) => void): Promise<string> {
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, `.secantusdb-${SECANTUS_VERSION}`);
  if (existsSync(marker)) return python;
  log(`Installing SecantusDB ${SECANTUS_VERSION} into ${venv} (first run only)…`);
  await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  await run(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `SecantusDB==${SECANTUS_VERSION}`,
  ]);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return python;
}

async function waitUntilReady(
  uri: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`SecantusDB exited with code ${child.exitCode}: ${stderr().trim()}`);
    }
    try {
      const connection = await mongoose
        .createConnection(uri, { serverSelectionTimeoutMS: 500 })
        .asPromise();
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `SecantusDB did not answer within 30 s: ${firstLine(error)} ${stderr().trim()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr.trim()}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
