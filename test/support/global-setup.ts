import { startEmbeddedMongo } from '../../src/platform/database/embedded-mongo';

/**
 * One MongoDB server for the whole run: the one in MONGODB_URI when set, otherwise an embedded
 * throw-away server (a real mongod when available, else SecantusDB). Each test file then uses a
 * database of its own on it (see test-app.ts).
 */
export default async function globalSetup(): Promise<void> {
  // Both the e2e and the browser project name this setup; the second call finds the server running.
  if (process.env.TEST_MONGODB_URI) return;
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_URI = process.env.MONGODB_URI;
    return;
  }
  const mongo = await startEmbeddedMongo({
    projectRoot: process.cwd(),
    log: (message) => process.stderr.write(`[test database] ${message}\n`),
  });
  process.stderr.write(`[test database] ${mongo.engine} at ${mongo.uri('')}\n`);
  process.env.TEST_MONGODB_URI = mongo.uri('test');
  process.env.TEST_MONGO_ENGINE = mongo.engine;
  (globalThis as { testMongo?: typeof mongo }).testMongo = mongo;
}
