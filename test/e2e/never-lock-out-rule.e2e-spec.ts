import { Types } from 'mongoose';
import { SignInMethods, WayIn } from '../../src/sign-in/methods/sign-in-methods';
import { User } from '../../src/users/schemas/user.schema';
import { UsersRepository } from '../../src/users/users.repository';
import { createTestApp, TestApp } from '../support/test-app';

const PROVIDER_ENV = {
  GOOGLE_CLIENT_ID: 'g-id',
  GOOGLE_CLIENT_SECRET: 'g-secret',
  GITHUB_CLIENT_ID: 'h-id',
  GITHUB_CLIENT_SECRET: 'h-secret',
};
const methods = new SignInMethods(['google', 'github']);
/** Never checked here; shaped like a real one, as the users collection's validator asks. */
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$fixture';

/**
 * The rule is written twice, as a MongoDB filter and as a count. For every shape of account and
 * every removal, the atomic update driven by the filter must agree with the count.
 */
describe('never-lock-out rule: filter and count agree on the real database', () => {
  let t: TestApp;
  let users: UsersRepository;

  beforeAll(async () => {
    t = await createTestApp({ env: PROVIDER_ENV });
    users = t.app.get(UsersRepository);
  });
  afterAll(() => t.close());

  const shapes: Array<[string, { passwordHash?: string; email?: string; providers: string[] }]> = [
    ['password only', { passwordHash: HASH, providers: [] }],
    ['password and google', { passwordHash: HASH, providers: ['google'] }],
    ['google only', { providers: ['google'] }],
    ['google and github', { providers: ['google', 'github'] }],
    ['google and a disabled provider', { providers: ['google', 'myspace'] }],
    ['a disabled provider only', { providers: ['myspace'] }],
    [
      'password without email, google',
      { passwordHash: HASH, email: undefined, providers: ['google'] },
    ],
  ];
  const removals: Array<[string, WayIn]> = [
    ['the password', { method: 'password' }],
    ['google', { method: 'provider', provider: 'google' }],
    ['github', { method: 'provider', provider: 'github' }],
  ];

  for (const [shapeName, shape] of shapes) {
    for (const [removalName, removal] of removals) {
      it(`${shapeName}: removing ${removalName}`, async () => {
        const _id = new Types.ObjectId();
        const user = {
          _id,
          email: 'email' in shape ? shape.email : `${_id.toHexString()}@example.test`,
          username: `u${_id.toHexString()}`,
          role: 'user',
          passwordHash: shape.passwordHash,
          // Unique index on (provider, subject): give each fixture its own subjects.
          identities: shape.providers.map((provider) => ({
            provider,
            subject: `${provider}-${_id.toHexString()}`,
            linkedAt: new Date(),
          })),
          emailVerified: false,
          createdAt: new Date(),
          updatedAt: new Date(),
        } as User;
        // As the service stores it: absent fields are left out, not null (the validator refuses null).
        const record = Object.fromEntries(
          Object.entries(user).filter(([, value]) => value !== undefined),
        );
        await t.db.collection('users').insertOne(record);
        const has = (record: Partial<User> | null) =>
          removal.method === 'password'
            ? typeof record?.passwordHash === 'string'
            : Boolean(record?.identities?.some(({ provider }) => provider === removal.provider));
        const present = has(user);

        const filter = methods.keepsAWayToSignIn(removal);
        const removed =
          removal.method === 'password'
            ? await users.removePassword(_id, filter)
            : await users.unlinkIdentity(_id, removal.provider, filter);

        expect(removed).toBe(present && methods.canSignInWithout(user, removal));
        const after = await t.db.collection('users').findOne<User>({ _id });
        expect(has(after)).toBe(present && !removed);
      });
    }
  }
});
