import { mongo, Types } from 'mongoose';
import request from 'supertest';
import { UsersRepository } from '../../src/users/users.repository';
import { USERS_VALIDATOR } from '../../src/users/users.validator';
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
      expect(names).toEqual(expect.arrayContaining(['email_unique', 'identity_unique']));
      expect(names).not.toContain('email_1');
      expect(names.filter((name) => name?.startsWith('providers.'))).toEqual([]);
      // Fields early records lacked are filled in: every record now fits the validator.
      expect(empty).toMatchObject({ role: 'user', emailVerified: false });
      expect(empty?.createdAt).toEqual(empty?._id.getTimestamp());
      expect(await users.countDocuments({ $nor: [USERS_VALIDATOR] })).toBe(0);

      // A second instance (or a restart) finds nothing left to do.
      apps.push(await createTestApp({ database }));
      expect(await stored('legacy')).toEqual(legacy);
      expect(await indexNames()).toEqual(names);
    });

    it('looks through the records once: later starts do not, until its record in migrations is deleted', async () => {
      const migrations = client.db().collection<{ _id: string }>('migrations');
      const migration = 'users: identities and required fields';
      expect(await migrations.findOne({ _id: migration })).toMatchObject({
        completedAt: expect.any(Date),
      });
      // Records of earlier shapes that only a restore past the validator could bring back: one with
      // a providers map, one whose linked provider vouched for its email, before emailVerified.
      const vouched = {
        provider: 'google',
        subject: 'g-v',
        email: 'vouched@example.test',
        linkedAt,
      };
      await users.insertMany(
        [
          { username: 'restored', providers: { github: 'gh-restored' } },
          {
            username: 'restored_vouched',
            email: vouched.email,
            identities: [vouched],
            role: 'user',
            createdAt: linkedAt,
          },
        ],
        { bypassDocumentValidation: true },
      );
      apps.push(await createTestApp({ database }));
      expect(await stored('restored')).toMatchObject({ providers: { github: 'gh-restored' } });

      await migrations.deleteOne({ _id: migration });
      apps.push(await createTestApp({ database }));
      const restored = await stored('restored');
      expect(restored).not.toHaveProperty('providers');
      expect(restored).toMatchObject({
        identities: [expect.objectContaining({ provider: 'github', subject: 'gh-restored' })],
        role: 'user',
        emailVerified: false,
      });
      expect(await stored('restored_vouched')).toMatchObject({
        identities: [vouched],
        emailVerified: true,
        createdAt: linkedAt,
        updatedAt: linkedAt,
      });
      expect(await users.countDocuments({ $nor: [USERS_VALIDATOR] })).toBe(0);
      expect(await migrations.findOne({ _id: migration })).not.toBeNull();
    });

    it('signs the migrated identities in to their account', async () => {
      const repository = apps[0].app.get(UsersRepository);
      const owner = await repository.findByIdentity('github', 'gh-1');
      expect(owner?.username).toBe('legacy');
      expect(await repository.findByIdentity('google', 'gh-1')).toBeNull();
    });
  });

  describe('written by a version with a collated email index (straße = strasse, ﬁ = fi)', () => {
    const database = newDatabaseName();
    const migration = 'users: emails in canonical form';
    const linkedAt = new Date('2024-05-01T10:00:00Z');
    let client: mongo.MongoClient;
    let users: mongo.Collection;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      client = await mongo.MongoClient.connect(withDatabase(testServerUri(), database));
      users = client.db().collection('users');
    });
    afterAll(async () => {
      for (const app of apps.reverse()) await app.close();
      await client.close();
    });

    const emailIndexes = async () =>
      (await users.indexes()).filter(({ key }) => Object.keys(key).join() === 'email');
    /** The index the earlier version built: unique under an ICU collation of strength 2. */
    const buildCollatedIndex = () =>
      users.createIndex(
        { email: 1 },
        {
          name: 'email_unique_ci',
          unique: true,
          collation: { locale: 'en', strength: 2 },
          partialFilterExpression: { email: { $type: 'string' } },
        },
      );
    const signIn = (http: TestApp['http'], login: string) =>
      request(http).post('/auth/login').send({ login, password: GOOD_PASSWORD }).expect(200);

    it('brings stored emails to canonical form and swaps the index for a plain one, losing nothing', async () => {
      // Accounts as the earlier version left them: its index, and a record edited by hand (past
      // the validator) in another case, before this migration ran.
      const earlier = await createTestApp({ database });
      apps.push(earlier);
      const sharp = await register(earlier.http, newAccount({ email: 'straße@example.test' }));
      const mixed = await register(earlier.http, newAccount({ email: 'mixed.case@example.test' }));
      for (const { name } of await emailIndexes()) await users.dropIndex(name!);
      await buildCollatedIndex();
      await users.updateOne(
        { _id: new Types.ObjectId(mixed.user.id) },
        {
          $set: {
            email: 'Mixed.Case@Example.TEST',
            pendingEmail: 'Next.Address@Example.TEST',
            identities: [
              { provider: 'google', subject: 'g-1', email: 'Mixed.Case@Example.TEST', linkedAt },
            ],
          },
        },
        { bypassDocumentValidation: true },
      );
      await client.db().collection<{ _id: string }>('migrations').deleteOne({ _id: migration });
      // Its index folds more than case: strasse cannot be registered beside straße.
      await request(earlier.http)
        .post('/auth/register')
        .send(newAccount({ email: 'strasse@example.test' }))
        .expect(409);
      const count = await users.countDocuments();

      apps.push(await createTestApp({ database }));
      const t = apps[apps.length - 1];
      expect(await emailIndexes()).toEqual([
        expect.objectContaining({
          name: 'email_unique',
          unique: true,
          partialFilterExpression: { email: { $type: 'string' } },
        }),
      ]);
      expect((await emailIndexes())[0]).not.toHaveProperty('collation');
      expect(await users.countDocuments()).toBe(count);
      expect(await users.findOne({ _id: new Types.ObjectId(mixed.user.id) })).toMatchObject({
        email: 'mixed.case@example.test',
        pendingEmail: 'next.address@example.test',
        identities: [
          { provider: 'google', subject: 'g-1', email: 'mixed.case@example.test', linkedAt },
        ],
      });
      expect(await users.countDocuments({ $nor: [USERS_VALIDATOR] })).toBe(0);

      // The owners sign in as before; strasse is now another address than straße.
      expect((await signIn(t.http, 'MIXED.case@example.test')).body.user.id).toBe(mixed.user.id);
      expect((await signIn(t.http, 'STRAßE@example.test')).body.user.id).toBe(sharp.user.id);
      const plain = await register(t.http, newAccount({ email: 'strasse@example.test' }));
      expect((await signIn(t.http, 'STRASSE@example.test')).body.user.id).toBe(plain.user.id);
      await request(t.http)
        .post('/auth/register')
        .send(newAccount({ email: 'Strasse@Example.test' }))
        .expect(409);

      // Another start finds nothing left to do.
      const indexes = await users.indexes();
      apps.push(await createTestApp({ database }));
      expect(await users.indexes()).toEqual(indexes);
    });

    it('drops the collated index again when an instance of the earlier version built it again', async () => {
      // A rolling upgrade: the migration is recorded, and an earlier version's start builds its
      // index again (it can, as long as no two addresses are the same under its collation).
      await users.deleteMany({ email: 'strasse@example.test' });
      await buildCollatedIndex();
      expect(
        await client
          .db()
          .collection('migrations')
          .findOne({ _id: migration as never }),
      ).not.toBeNull();

      const t = await createTestApp({ database });
      apps.push(t);
      expect((await emailIndexes()).map(({ name }) => name)).toEqual(['email_unique']);
      await register(t.http, newAccount({ email: 'strasse@example.test' }));
    });
  });

  describe('edited by hand', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());
    const users = () => t.db.collection('users');

    it('has an index of the admins alone, for the last-admin rule to count them', async () => {
      const indexes = await users().indexes();
      expect(indexes.find(({ name }) => name === 'admins')).toMatchObject({
        key: { role: 1 },
        partialFilterExpression: { role: 'admin' },
      });
    });

    // This edit bypasses the validator (which refuses capitals), as a record written before it, or
    // by an administrator who bypassed it, would.
    it('takes the email in canonical form only: a hand edit in another case is not the same address', async () => {
      const account = newAccount({ email: 'case.twin@example.test' });
      await register(t.http, account);
      await users().insertOne(
        { email: 'Case.Twin@EXAMPLE.test', username: 'case_twin_copy' },
        { bypassDocumentValidation: true },
      );
      // Nothing the service writes or looks up is in that form: the canonical one is still unique.
      await expect(
        users().insertOne(
          { email: 'case.twin@example.test', username: 'case_twin_second' },
          { bypassDocumentValidation: true },
        ),
      ).rejects.toMatchObject({ code: 11000 });
      const signedIn = await request(t.http)
        .post('/auth/login')
        .send({ login: 'CASE.TWIN@example.test', password: GOOD_PASSWORD })
        .expect(200);
      expect(signedIn.body.user.username).not.toBe('case_twin_copy');
    });
  });

  describe('guarded by the validator', () => {
    let t: TestApp;
    const others: TestApp[] = [];
    /** Whether this server enforces $jsonSchema validators (MongoDB and SecantusDB 0.7 do). */
    let enforced: boolean;
    beforeAll(async () => {
      t = await createTestApp();
      const probe = await users()
        .insertOne({ username: 'Not A Valid Name' })
        .then(() => false)
        .catch((error: { code?: number }) => error.code === DOCUMENT_VALIDATION_FAILURE);
      enforced = probe;
      if (!enforced) await users().deleteMany({ username: 'Not A Valid Name' });
    });
    afterAll(async () => {
      for (const app of others) await app.close();
      await t.close();
    });
    const users = () => t.db.collection('users');
    const valid = () => ({
      username: `hand_${Math.floor(Math.random() * 1e9)}`,
      role: 'user',
      identities: [],
      emailVerified: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    });

    it('is stored on the collection: strict, refusing with an error', async () => {
      const options = await validatorOptions();
      expect(options).toMatchObject({
        validator: USERS_VALIDATOR,
        validationLevel: 'strict',
        validationAction: 'error',
      });
      // Two more instances starting at once on the same database leave it as it is.
      others.push(...(await Promise.all([1, 2].map(() => createTestApp({ database: t.db.name })))));
      expect(await validatorOptions()).toEqual(options);
    });
    const validatorOptions = async () => {
      const [info] = await t.db.db!.listCollections({ name: 'users' }).toArray();
      return (info as { options?: Record<string, unknown> }).options;
    };

    const refusals: Array<[string, Record<string, unknown>]> = [
      ['an upper-case email', { email: 'Ada@Example.test' }],
      ['an email with surrounding spaces', { email: ' ada@example.test' }],
      ['a username with spaces', { username: 'ada lovelace' }],
      ['the role root', { role: 'root' }],
      ['a missing username', { username: undefined }],
      ['a password hash that is not argon2', { passwordHash: '$2b$10$abcdefghijklmnopqrstuv' }],
      [
        'an identity without a subject',
        { identities: [{ provider: 'github', linkedAt: new Date() }] },
      ],
      ['a field the schema does not have', { emial: 'ada@example.test' }],
    ];
    it.each(refusals)('refuses a hand insert with %s (121)', async (_what, change) => {
      if (!enforced) return; // Stored only (asserted above): this server does not enforce it.
      const doc = Object.fromEntries(
        Object.entries({ ...valid(), ...change }).filter(([, value]) => value !== undefined),
      );
      await expect(users().insertOne(doc)).rejects.toMatchObject({
        code: DOCUMENT_VALIDATION_FAILURE,
      });
    });

    it('refuses a hand edit of a registered account that breaks an invariant, and accepts a valid one', async () => {
      const account = newAccount({ email: 'hand.edit@example.test' });
      const { user } = await register(t.http, account);
      const _id = new Types.ObjectId(user.id);
      if (enforced) {
        await expect(
          users().updateOne({ _id }, { $set: { email: 'Hand.Edit@example.test' } }),
        ).rejects.toMatchObject({ code: DOCUMENT_VALIDATION_FAILURE });
        await expect(
          users().updateOne({ _id }, { $unset: { emailVerified: '' } }),
        ).rejects.toMatchObject({ code: DOCUMENT_VALIDATION_FAILURE });
      }
      await users().updateOne(
        { _id },
        { $set: { name: 'Ada Byron', email: 'ada.byron@example.test', role: 'admin' } },
      );
      const signedIn = await request(t.http)
        .post('/auth/login')
        .send({ login: 'ada.byron@example.test', password: GOOD_PASSWORD })
        .expect(200);
      expect(signedIn.body.user).toMatchObject({ id: user.id, name: 'Ada Byron' });
      await expect(users().insertOne(valid())).resolves.toBeDefined();
    });
  });
});

const DOCUMENT_VALIDATION_FAILURE = 121;
