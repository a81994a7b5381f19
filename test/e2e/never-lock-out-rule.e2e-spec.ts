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

/** A stored passkey; its credential id is unique across accounts. */
function passkeyFixture(id: string, owner: Types.ObjectId) {
  return {
    id,
    credentialId: `${id}-${owner.toHexString()}`,
    publicKey: 'cHVibGlj',
    counter: 0,
    backedUp: false,
    deviceType: 'singleDevice',
    name: 'Laptop',
    createdAt: new Date(),
  };
}

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

  const shapes: Array<
    [string, { passwordHash?: string; email?: string; providers: string[]; passkeys?: string[] }]
  > = [
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
    ['one passkey only', { providers: [], passkeys: ['pk1'] }],
    ['two passkeys', { providers: [], passkeys: ['pk1', 'pk2'] }],
    ['a passkey and google', { providers: ['google'], passkeys: ['pk1'] }],
    ['a passkey and a disabled provider', { providers: ['myspace'], passkeys: ['pk1'] }],
  ];
  const removals: Array<[string, WayIn]> = [
    ['the password', { method: 'password' }],
    ['google', { method: 'provider', provider: 'google' }],
    ['github', { method: 'provider', provider: 'github' }],
    ['a passkey', { method: 'passkey', id: 'pk1' }],
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
          passkeys: shape.passkeys?.map((id) => passkeyFixture(id, _id)),
          emailVerified: false,
          createdAt: new Date(),
          updatedAt: new Date(),
        } as User;
        // As the service stores it: absent fields are left out, not null (the validator refuses null).
        const record = Object.fromEntries(
          Object.entries(user).filter(([, value]) => value !== undefined),
        );
        await t.db.collection('users').insertOne(record);
        const has = (record: Partial<User> | null) => {
          switch (removal.method) {
            case 'password':
              return typeof record?.passwordHash === 'string';
            case 'provider':
              return Boolean(
                record?.identities?.some(({ provider }) => provider === removal.provider),
              );
            case 'passkey':
              return Boolean(record?.passkeys?.some(({ id }) => id === removal.id));
          }
        };
        const present = has(user);

        const filter = methods.keepsAWayToSignIn(removal);
        const removed =
          removal.method === 'password'
            ? await users.removePassword(_id, filter)
            : removal.method === 'provider'
              ? await users.unlinkIdentity(_id, removal.provider, filter)
              : (await users.removePasskey(_id, removal.id, filter)) !== null;

        expect(removed).toBe(present && methods.canSignInWithout(user, removal));
        const after = await t.db.collection('users').findOne<User>({ _id });
        expect(has(after)).toBe(present && !removed);
      });
    }
  }
});
