import { getConnectionToken } from '@nestjs/mongoose';
import { Test } from '@nestjs/testing';
import mongoose from 'mongoose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { AppConfig } from '../../src/platform/config/app-config';
import { EmbeddedMongo, startEmbeddedMongo } from '../../src/platform/database/embedded-mongo';
import { MongoServer } from '../../src/platform/database/mongo-server.service';

describe('embedded development database', () => {
  const engine = process.env.TEST_MONGO_ENGINE as EmbeddedMongo['engine'] | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'accounts-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function withServer<T>(use: (connection: mongoose.Connection) => Promise<T>): Promise<T> {
    const mongo = await startEmbeddedMongo({ dataDir, projectRoot: process.cwd(), engine });
    const connection = await mongoose.createConnection(mongo.uri('accounts')).asPromise();
    try {
      return await use(connection);
    } finally {
      await connection.close();
      await mongo.stop();
    }
  }

  it('keeps data in its directory across a restart', async () => {
    await withServer((db) => db.collection('users').insertOne({ username: 'survivor' }));
    const found = await withServer((db) =>
      db.collection('users').findOne({ username: 'survivor' }),
    );
    expect(found?.username).toBe('survivor');
  });

  it("stops with the app, after the app's connection has closed", async () => {
    const config = AppConfig.fromEnvironment({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      EMBEDDED_MONGO_PATH: join(dataDir, 'app'),
      MAIL_OUTBOX_DIR: join(dataDir, 'outbox'),
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(AppConfig)
      .useValue(config)
      .compile();
    const app = moduleRef.createNestApplication({ bodyParser: false });
    await app.init();
    const connection = app.get<mongoose.Connection>(getConnectionToken());
    const server = app.get(MongoServer);
    const stop = server.stop.bind(server);
    const connectionStateAtStop: number[] = [];
    jest.spyOn(server, 'stop').mockImplementation(() => {
      connectionStateAtStop.push(connection.readyState);
      return stop();
    });
    await app.close();
    expect(connectionStateAtStop).toEqual([mongoose.ConnectionStates.disconnected]);
  });
});
