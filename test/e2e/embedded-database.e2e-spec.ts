import mongoose from 'mongoose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedMongo, startEmbeddedMongo } from '../../src/database/embedded-mongo';

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
});
