import { mongo } from 'mongoose';
import request from 'supertest';
import { UsersRepository } from '../../src/users/users.repository';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { testServerUri, withDatabase } from '../support/mongo-uri';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';

/** What is stored in the users collection, as an administrator or an older version leaves it. */
describe('user records in the database', () => {
  describe('written by an earlier version (a providers map, one index per provider)', () => {
    const database = newDatabaseName();
    const linkedAt = new Date('2024-05-01T10:00:00Z');
    let client: mongo.MongoClient;
    let users: mongo.Collection;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      client = await mongo.MongoClient.connect(withDatabase(testServerUri(), database));
      users = client.db().collection('users');
      await users.insertMany([
        {
          email: 'legacy@example.test',
          username: 'legacy',
          providers: { google: 'g-1', github: 'gh-1' },
          createdAt: linkedAt,
        },
        { username: 'legacy_empty', providers: {} },
      ]);
      await users.createIndex({ email: 1 }, { name: 'email_1', unique: true, sparse: true });
      await users.createIndex({ 'providers.google': 1 }, { unique: true, sparse: true });
      await users.createIndex({ 'providers.github': 1 }, { unique: true, sparse: true });
    });
    afterAll(async () => {
      for (const app of apps.reverse()) await app.close();
      await client.close();
    });

    const stored = (username: string) => users.findOne({ username });
    const indexNames = async () => (await users.indexes()).map(({ name }) => name).sort();

    it('moves them to identities at start-up, drops the old indexes, and starting again changes nothing', async () => {
      apps.push(await createTestApp({ database }));

      const legacy = await stored('legacy');
      expect(legacy).not.toHaveProperty('providers');
      expect(legacy?.identities).toEqual([
        { provider: 'google', subject: 'g-1', linkedAt },
        { provider: 'github', subject: 'gh-1', linkedAt },
      ]);
      const empty = await stored('legacy_empty');
      expect(empty).not.toHaveProperty('providers');
      expect(empty?.identities ?? []).toEqual([]);
      const names = await indexNames();
      expect(names).toEqual(expect.arrayContaining(['email_unique_ci', 'identity_unique']));
      expect(names).not.toContain('email_1');
      expect(names.filter((name) => name?.startsWith('providers.'))).toEqual([]);

      // A second instance (or a restart) finds nothing left to do.
      apps.push(await createTestApp({ database }));
      expect(await stored('legacy')).toEqual(legacy);
      expect(await indexNames()).toEqual(names);
    });

    it('signs the migrated identities in to their account', async () => {
      const repository = apps[0].app.get(UsersRepository);
      const owner = await repository.findByIdentity('github', 'gh-1');
      expect(owner?.username).toBe('legacy');
      expect(await repository.findByIdentity('google', 'gh-1')).toBeNull();
    });
  });

  describe('edited by hand', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());
    const users = () => t.db.collection('users');

    it('cannot hold the same email twice in another case: the unique index ignores case', async () => {
      const account = newAccount({ email: 'case.twin@example.test' });
      await register(t.http, account);
      await expect(
        users().insertOne({ email: 'Case.Twin@EXAMPLE.test', username: 'case_twin_copy' }),
      ).rejects.toMatchObject({ code: 11000 });
      expect(await users().countDocuments({ username: 'case_twin_copy' })).toBe(0);
    });

    it('keeps its owner able to sign in when the email was rewritten in another case', async () => {
      const account = newAccount({ email: 'rewritten@example.test' });
      const { user } = await register(t.http, account);
      await users().updateOne(
        { email: 'rewritten@example.test' },
        { $set: { email: 'ReWritten@Example.TEST' } },
      );

      const signedIn = await request(t.http)
        .post('/auth/login')
        .send({ login: 'rewritten@example.test', password: GOOD_PASSWORD })
        .expect(200);
      expect(signedIn.body.user.id).toBe(user.id);
      const taken = await request(t.http)
        .post('/auth/register')
        .send(newAccount({ email: 'REWRITTEN@example.test' }))
        .expect(409);
      expect(taken.body.error).toMatchObject({ code: 'EMAIL_TAKEN', field: 'email' });
    });
  });
});
