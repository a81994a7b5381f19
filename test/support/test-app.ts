import { Test } from '@nestjs/testing';
import { getConnectionToken } from '@nestjs/mongoose';
import { NestExpressApplication } from '@nestjs/platform-express';
import mongoose, { Connection } from 'mongoose';
import { Logger } from 'nestjs-pino';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { App } from 'supertest/types';
import { AppModule } from '../../src/app.module';
import { AppConfig } from '../../src/platform/config/app-config';
import { configureApp } from '../../src/configure-app';
import { configurationProviders, readConfiguration } from '../../src/configuration';
import { LOG_DESTINATION, REQUEST_LOGGER } from '../../src/platform/logging/logger.options';
import type { RequestLog } from '../../src/platform/logging/request-log';
import { testServerUri, withDatabase } from './mongo-uri';

export interface TestApp {
  app: NestExpressApplication;
  http: App;
  config: AppConfig;
  /** The app's own MongoDB connection, to look at what was written. */
  db: Connection;
  /** The name of its database on the test server. */
  database: string;
  /** Everything the app logged, when started with `captureLogs`. */
  logs: () => string;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  captureLogs?: boolean;
  /** A database prepared beforehand (see databaseUri); by default a fresh one. */
  database?: string;
  /** Providers replaced by values (a decision the test makes, never the database itself). */
  overrides?: { provide: unknown; useValue: unknown }[];
}

/** A fresh database name on the test server. */
export function newDatabaseName(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

/** Drops a database of the test server, for tests that close an app without its `close()`. */
export async function dropDatabase(database: string): Promise<void> {
  const connection = await mongoose
    .createConnection(withDatabase(testServerUri(), database))
    .asPromise();
  await connection.dropDatabase();
  await connection.close();
}

/** The real app, as main.ts builds it, on a fresh database of the test server. */
export async function createTestApp({
  env = {},
  captureLogs = false,
  database = newDatabaseName(),
  overrides = [],
}: TestAppOptions = {}): Promise<TestApp> {
  const configuration = readConfiguration({
    NODE_ENV: 'test',
    LOG_LEVEL: captureLogs ? 'trace' : (process.env.TEST_LOG_LEVEL ?? 'silent'),
    MONGODB_URI: withDatabase(testServerUri(), database),
    // Tests sign in far more often than a person, and mistype more; the limits have tests of
    // their own. (Production allows no lock after more than 100 failures.)
    SIGN_IN_RATE_LIMIT: '100000',
    SIGN_IN_FREE_FAILURES: '100',
    SIGN_IN_LOCK_AFTER_FAILURES: '100',
    // Without SMTP_URL (a test's MailServer sets it), messages are files in a throw-away folder.
    MAIL_OUTBOX_DIR: join(tmpdir(), 'account-service-tests', database),
    ...env,
  });
  // nestjs-pino logs outside a request to the logger of the first app made in the process (a
  // module-level one): each app gets its own, or this one's logs could land in an earlier app's.
  __resetOutOfContextForTests();
  let logged = '';
  // Takes each write at once, so that what flush() hands over is in `logged` when it returns.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });

  let builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(LOG_DESTINATION)
    .useValue(captureLogs ? sink : undefined);
  for (const { provide, useValue } of [...configurationProviders(configuration), ...overrides]) {
    builder = builder.overrideProvider(provide).useValue(useValue);
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  configureApp(app);
  await app.init();
  const db = app.get<Connection>(getConnectionToken());
  return {
    app,
    http: app.getHttpServer() as App,
    config: configuration.app,
    db,
    database,
    logs: () => {
      // Request lines wait a moment to be written together (RequestLines).
      app.get<RequestLog>(REQUEST_LOGGER).flush();
      return logged;
    },
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await app.close();
    },
  };
}
