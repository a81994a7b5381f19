import { Types } from 'mongoose';
import { UsersModule } from '../../src/users/users.module';
import { UsersRepository } from '../../src/users/users.repository';
import { fillSearchKeys } from '../../src/users/search-keys.migration';
import { SEARCH_KEY_PATH, searchFields, searchKeysFilter } from '../../src/users/search-keys';
import { databaseTestModule, DatabaseTestModule } from '../support/database-module';

/** A user record of a version before search keys, as it would be found in the database. */
function oldRecord(i: number, name = `Old Person${i}`) {
  const createdAt = new Date(Date.UTC(2025, 0, 1, 0, 0, i));
  return {
    _id: new Types.ObjectId(),
    email: `old${i}@example.test`,
    username: `old_${i}`,
    name,
    emailVerified: false,
    role: 'user',
    identities: [],
    createdAt,
    updatedAt: createdAt,
  };
}

/** Every stage of an explain's winning plan, however the server nests them. */
function stagesOf(plan: unknown): Array<{ stage?: string; indexName?: string }> {
  if (!plan || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const children = ['inputStage', 'queryPlan', 'winningPlan']
    .map((key) => node[key])
    .concat((node.inputStages as unknown[]) ?? []);
  return [node, ...children.flatMap(stagesOf)];
}

/** The admin search's keys, its migration and its index, against the real database. */
describe('user search', () => {
  let fixture: DatabaseTestModule;
  let repository: UsersRepository;
  const users = () => fixture.db.collection('users');

  beforeAll(async () => {
    fixture = await databaseTestModule({ imports: [UsersModule] });
    repository = fixture.module.get(UsersRepository);
  });
  afterAll(() => fixture?.close());

  it('has run its migration at start-up, and has the index', async () => {
    expect(
      await fixture.db.collection('migrations').findOne({ _id: 'users: search keys' as never }),
    ).not.toBeNull();
    const indexes = await users().indexes();
    expect(indexes.find(({ name }) => name === 'search_keys')?.key).toEqual({
      [SEARCH_KEY_PATH]: 1,
    });
  });

  it('fills the keys of records of earlier versions, in batches, and changes nothing the second time', async () => {
    // Batches of 10: the records are read and written over several.
    const batch = 10;
    const count = batch * 2 + 7;
    const records = Array.from({ length: count }, (_, i) => oldRecord(i));
    records[3].name = 'Ada Lovelace';
    await users().insertMany(records);
    // One with keys that say something else (an edit by hand), one already right.
    await users().updateOne(
      { _id: records[4]._id },
      { $set: { searchKeys: [{ key: 'stale', of: 'name' }] } },
    );
    await users().updateOne({ _id: records[5]._id }, { $set: searchFields(records[5]) });
    expect(await repository.search('lovelace', 0, 20)).toEqual({ users: [], total: 0 });

    const first = await fillSearchKeys(users(), batch);
    expect(first).toEqual({ changed: count - 1, refused: [] });
    for (const record of [records[0], records[3], records[4], records[count - 1]]) {
      const stored = await users().findOne({ _id: record._id });
      expect(stored?.searchKeys).toEqual(searchFields(record).searchKeys);
    }
    expect(await fillSearchKeys(users(), batch)).toEqual({ changed: 0, refused: [] });

    const found = await repository.search('LOVELACE', 0, 20);
    expect(found.users.map(({ _id }) => String(_id))).toEqual([String(records[3]._id)]);
    expect(found.total).toBe(1);
    expect((await repository.search('stale', 0, 20)).total).toBe(0);
    expect((await repository.search('old_1', 0, 5)).total).toBe(
      records.filter(({ username }) => username.startsWith('old_1')).length,
    );
    await users().deleteMany({ _id: { $in: records.map(({ _id }) => _id) } });
  });

  it('names a record the validator refuses, and fills the others', async () => {
    const unfit = { ...oldRecord(1), username: 'Not A Username!' };
    const fit = oldRecord(2, 'Grace Hopper');
    await users().insertMany([unfit, fit], { bypassDocumentValidation: true });
    const result = await fillSearchKeys(users());
    expect(result).toEqual({ changed: 1, refused: [String(unfit._id)] });
    expect((await repository.search('hopper', 0, 20)).total).toBe(1);
    await users().deleteMany({ _id: { $in: [unfit._id, fit._id] } });
  });

  it('is served by the index of the search keys', async () => {
    await users().insertMany(Array.from({ length: 50 }, (_, i) => oldRecord(100 + i)));
    await fillSearchKeys(users());
    const filter = searchKeysFilter('Old Person12')!;
    const explained = async (query: Record<string, unknown>) => {
      const plan = (await users().find(query).sort({ _id: -1 }).limit(20).explain()) as {
        queryPlanner: { winningPlan: unknown };
      };
      return stagesOf(plan.queryPlanner.winningPlan);
    };
    const usesIndex = (stages: Awaited<ReturnType<typeof explained>>) =>
      stages.some(({ stage, indexName }) => stage === 'IXSCAN' && indexName === 'search_keys');
    if (process.env.TEST_MONGO_ENGINE === 'SecantusDB') {
      // SecantusDB looks up the first clause its indexes serve and checks the rest on the
      // records found, but its explain describes only filters of one clause: ask about that one.
      const [served] = Object.keys(filter);
      expect(served).toBe(SEARCH_KEY_PATH);
      expect(usesIndex(await explained({ [served]: filter[served] }))).toBe(true);
    } else {
      // MongoDB: the $elemMatch gives the index scan its bounds, and no collection scan.
      const stages = await explained(filter);
      expect(usesIndex(stages)).toBe(true);
      expect(stages.map(({ stage }) => stage)).not.toContain('COLLSCAN');
    }
    const found = await users().find<{ username: string }>(filter).toArray();
    expect(found.map(({ username }) => username).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `old_12${i}`),
    );
  });
});
