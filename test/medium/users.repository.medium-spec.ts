import { AppError } from '../../src/platform/http/app-error';
import { UsersModule } from '../../src/users/users.module';
import { UsersRepository } from '../../src/users/users.repository';
import { databaseTestModule, DatabaseTestModule } from '../support/database-module';

/** UsersRepository against the real database: uniqueness is the unique indexes' doing. */
describe('UsersRepository', () => {
  let fixture: DatabaseTestModule;
  let users: UsersRepository;

  beforeAll(async () => {
    fixture = await databaseTestModule({ imports: [UsersModule] });
    users = fixture.module.get(UsersRepository);
  });
  afterAll(() => fixture?.close());

  const codeOf = (outcome: PromiseSettledResult<unknown>) =>
    outcome.status === 'rejected' && outcome.reason instanceof AppError
      ? outcome.reason.code
      : outcome.status;

  it('creates one account when several take the same email at once (in any case)', async () => {
    const outcomes = await Promise.allSettled(
      ['Same@Example.test', 'same@example.test', 'SAME@example.TEST'].map((email, i) =>
        users.create({ email, usernameBase: `same${i}` }),
      ),
    );
    expect(outcomes.map(codeOf).sort()).toEqual(['EMAIL_TAKEN', 'EMAIL_TAKEN', 'fulfilled']);
    expect(
      await fixture.db.collection('users').countDocuments({ email: 'same@example.test' }),
    ).toBe(1);
  });

  it('generates distinct usernames from one base at once, and refuses a chosen one taken', async () => {
    const created = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        users.create({ email: `base${i}@example.test`, usernameBase: 'base' }),
      ),
    );
    expect(new Set(created.map(({ username }) => username)).size).toBe(4);
    await expect(
      users.create({ username: created[0].username, usernameBase: 'x', email: 'x@example.test' }),
    ).rejects.toMatchObject({ code: 'USERNAME_TAKEN' });
  });

  it('finds an account by its email or its username, whatever their case', async () => {
    const user = await users.create({ email: 'Finder@Example.test', usernameBase: 'finder' });
    expect((await users.findByLogin('FINDER@example.test'))?._id).toEqual(user._id);
    expect((await users.findByLogin(user.username.toUpperCase()))?._id).toEqual(user._id);
    expect(await users.findByLogin('nobody@example.test')).toBeNull();
    expect(await users.findById('not-an-id')).toBeNull();
  });
});
