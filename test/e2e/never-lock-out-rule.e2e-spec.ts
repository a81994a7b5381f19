import { Types } from 'mongoose';
import {
  canSignInWithout,
  keepsAWayToSignIn,
  LoginMethod,
} from '../../src/linking/sign-in-methods';
import { User } from '../../src/users/schemas/user.schema';
import { UsersRepository } from '../../src/users/users.repository';
import { createTestApp, TestApp } from '../support/test-app';

const PROVIDER_ENV = {
  GOOGLE_CLIENT_ID: 'g-id',
  GOOGLE_CLIENT_SECRET: 'g-secret',
  GITHUB_CLIENT_ID: 'h-id',
  GITHUB_CLIENT_SECRET: 'h-secret',
};
const ENABLED = ['google', 'github'];

/**
 * The rule is written twice, as a MongoDB filter and as a predicate. For every shape of account and
 * every removal, the atomic update driven by the filter must agree with the predicate.
 */
describe('never-lock-out rule: filter and predicate agree on the real database', () => {
  let t: TestApp;
  let users: UsersRepository;

  beforeAll(async () => {
    t = await createTestApp({ env: PROVIDER_ENV });
    users = t.app.get(UsersRepository);
  });
  afterAll(() => t.close());

  const shapes: Array<[string, Partial<User> & { providers: Record<string, string> }]> = [
    ['password only', { passwordHash: 'hash', providers: {} }],
    ['password and google', { passwordHash: 'hash', providers: { google: 'g' } }],
    ['google only', { providers: { google: 'g' } }],
    ['google and github', { providers: { google: 'g', github: 'h' } }],
    ['google and a disabled provider', { providers: { google: 'g', myspace: 'm' } }],
    [
      'password without email, google',
      { passwordHash: 'hash', email: undefined, providers: { google: 'g' } },
    ],
  ];
  const removals: Array<[string, LoginMethod, string]> = [
    ['the password', { password: true }, 'passwordHash'],
    ['google', { provider: 'google' }, 'providers.google'],
    ['github', { provider: 'github' }, 'providers.github'],
  ];

  for (const [shapeName, shape] of shapes) {
    for (const [removalName, removal, path] of removals) {
      it(`${shapeName}: removing ${removalName}`, async () => {
        const _id = new Types.ObjectId();
        const user = {
          _id,
          email: 'email' in shape ? shape.email : `${_id.toHexString()}@example.test`,
          username: `u${_id.toHexString()}`,
          role: 'user',
          ...shape,
        } as User;
        // Unique sparse indexes: give each fixture its own subjects.
        user.providers = Object.fromEntries(
          Object.entries(user.providers).map(([key, value]) => [
            key,
            `${value}-${_id.toHexString()}`,
          ]),
        );
        await t.db.collection('users').insertOne({ ...user });
        const present =
          path === 'passwordHash'
            ? Boolean(user.passwordHash)
            : Boolean(user.providers[path.split('.')[1]]);

        const removed = await users.removeLoginMethod(
          _id,
          path,
          keepsAWayToSignIn(removal, ENABLED),
        );

        expect(removed).toBe(present && canSignInWithout(user, removal, ENABLED));
        const after = await t.db.collection('users').findOne({ _id });
        const stillThere =
          path === 'passwordHash'
            ? Boolean(after?.passwordHash)
            : Boolean(after?.providers?.[path.split('.')[1]]);
        expect(stillThere).toBe(present && !removed);
      });
    }
  }
});
