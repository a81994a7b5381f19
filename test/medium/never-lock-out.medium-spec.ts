import { Types } from 'mongoose';
import type { SignInMethod } from '../../src/sign-in/methods/sign-in-method';
import {
  SIGN_IN_METHOD_KEYS,
  SIGN_IN_METHODS,
  SignInMethods,
  WayIn,
} from '../../src/sign-in/methods/sign-in-methods';
import { Passkey, User } from '../../src/users/schemas/user.schema';
import { UsersModule } from '../../src/users/users.module';
import { NewUser, UsersRepository } from '../../src/users/users.repository';
import { databaseTestModule, DatabaseTestModule } from '../support/database-module';

/** A stored passkey; its credential id is unique across accounts. */
function passkey(id: string, owner: string): Passkey {
  return {
    id,
    credentialId: `${id}-${owner}`,
    publicKey: 'cHVibGlj',
    counter: 0,
    backedUp: false,
    deviceType: 'singleDevice',
    name: 'Laptop',
    createdAt: new Date(),
  };
}

/**
 * The never-lock-out rule where it is enforced: the filter SignInMethods gives the repository's
 * conditional updates, run by the real database. Its two forms (the filter, and the count on an
 * account already read) must agree, and removals in parallel must leave a way in.
 */
describe('the never-lock-out rule against the database', () => {
  let fixture: DatabaseTestModule;
  let users: UsersRepository;
  /** Google and GitHub are enabled; an identity of Facebook (switched off) signs nobody in. */
  const methods = new SignInMethods(['google', 'github']);

  beforeAll(async () => {
    fixture = await databaseTestModule({ imports: [UsersModule] });
    users = fixture.module.get(UsersRepository);
  });
  afterAll(() => fixture?.close());

  let counter = 0;
  /** An account of the given shape; `email: false` leaves it without one (a username only). */
  async function account(shape: {
    password?: boolean;
    email?: boolean;
    identities?: string[];
    /** The public ids of its passkeys. */
    passkeys?: string[];
  }): Promise<User> {
    counter += 1;
    const fields: NewUser = {
      usernameBase: `member${counter}`,
      email: shape.email === false ? undefined : `member${counter}@example.test`,
      passwordHash: shape.password ? '$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA' : undefined,
    };
    const created = shape.identities?.length
      ? await users.createFromProvider({
          provider: shape.identities[0],
          subject: `subject-${counter}`,
          usernameBase: fields.usernameBase,
          email: fields.email,
        })
      : await users.create(fields);
    for (const provider of shape.identities?.slice(1) ?? []) {
      await users.linkIdentity(created._id, {
        provider,
        subject: `subject-${counter}-${provider}`,
      });
    }
    if (shape.password && shape.identities?.length) {
      await users.setPasswordHash(created._id, fields.passwordHash!, undefined);
    }
    for (const id of shape.passkeys ?? []) {
      expect(await users.addPasskey(created._id, passkey(id, created._id.toHexString()))).toBe(
        'added',
      );
    }
    return (await users.findById(created._id))!;
  }

  const shapes = [
    { password: true },
    { password: true, email: false },
    { identities: ['google'] },
    { identities: ['facebook'] },
    { identities: ['google', 'github'] },
    { identities: ['google', 'facebook'] },
    { password: true, identities: ['google'] },
    { password: true, identities: ['facebook'] },
    { passkeys: ['pk1'] },
    { passkeys: ['pk1', 'pk2'] },
    { passkeys: ['pk2'] },
    { identities: ['google'], passkeys: ['pk1'] },
    { identities: ['facebook'], passkeys: ['pk1'] },
    { password: true, passkeys: ['pk1'] },
  ];
  const removals: WayIn[] = [
    { method: 'password' },
    { method: 'provider', provider: 'google' },
    { method: 'provider', provider: 'github' },
    { method: 'provider', provider: 'facebook' },
    { method: 'passkey', id: 'pk1' },
    { method: 'passkey', id: 'pk2' },
  ];

  it('matches in the database exactly the accounts the count says keep a way in', async () => {
    const accounts = await Promise.all(shapes.map((shape) => account(shape)));
    const collection = fixture.db.collection<User>('users');
    for (const removing of removals) {
      const matched = await collection
        .find({
          $and: [
            { _id: { $in: accounts.map(({ _id }) => _id) } },
            methods.keepsAWayToSignIn(removing),
          ],
        } as never)
        .project<{ _id: Types.ObjectId }>({ _id: 1 })
        .toArray();
      const byFilter = matched.map(({ _id }) => _id.toHexString()).sort();
      const byCount = accounts
        .filter((user) => methods.canSignInWithout(user, removing))
        .map(({ _id }) => _id.toHexString())
        .sort();
      expect({ removing, matched: byFilter }).toEqual({ removing, matched: byCount });
    }
  });

  it('tries removing a way in of every registered method', () => {
    expect([...new Set(removals.map(({ method }) => method))].sort()).toEqual(
      [...SIGN_IN_METHOD_KEYS].sort(),
    );
  });

  it("matches in the database exactly the accounts each method's predicate says keep one", async () => {
    const accounts = await Promise.all(shapes.map((shape) => account(shape)));
    const collection = fixture.db.collection<User>('users');
    const enabled = ['google', 'github'];
    for (const removing of [undefined, ...removals]) {
      for (const key of SIGN_IN_METHOD_KEYS) {
        const method = SIGN_IN_METHODS[key] as SignInMethod<string, WayIn>;
        const except = removing?.method === key ? removing : undefined;
        const filter = method.keepsFilter(enabled, except);
        const matched = filter
          ? await collection
              .find({ $and: [{ _id: { $in: accounts.map(({ _id }) => _id) } }, filter] } as never)
              .project<{ _id: Types.ObjectId }>({ _id: 1 })
              .toArray()
          : [];
        const byFilter = matched.map(({ _id }) => _id.toHexString()).sort();
        const byPredicate = accounts
          .filter((user) => method.keeps(user, enabled, except))
          .map(({ _id }) => _id.toHexString())
          .sort();
        expect({ key, except, matched: byFilter }).toEqual({ key, except, matched: byPredicate });
      }
    }
  });

  it('removes the password only while another way in remains', async () => {
    const alone = await account({ password: true });
    expect(
      await users.removePassword(alone._id, methods.keepsAWayToSignIn({ method: 'password' })),
    ).toBe(false);
    expect((await users.findById(alone._id))?.passwordHash).toEqual(expect.any(String));

    const withGoogle = await account({ password: true, identities: ['google'] });
    expect(
      await users.removePassword(withGoogle._id, methods.keepsAWayToSignIn({ method: 'password' })),
    ).toBe(true);
    expect((await users.findById(withGoogle._id))?.passwordHash).toBeUndefined();
  });

  it('unlinks an identity only while another way in remains; a switched-off provider is none', async () => {
    const onlyFacebookBeside = await account({ identities: ['google', 'facebook'] });
    const rule = methods.keepsAWayToSignIn({ method: 'provider', provider: 'google' });
    expect(await users.unlinkIdentity(onlyFacebookBeside._id, 'google', rule)).toBe(false);

    const two = await account({ identities: ['google', 'github'] });
    expect(await users.unlinkIdentity(two._id, 'google', rule)).toBe(true);
    const after = await users.findById(two._id);
    expect(after?.identities?.map(({ provider }) => provider)).toEqual(['github']);
  });

  it('removes a passkey only while another way in remains', async () => {
    const alone = await account({ passkeys: ['pk1'] });
    const rule = methods.keepsAWayToSignIn({ method: 'passkey', id: 'pk1' });
    expect(await users.removePasskey(alone._id, 'pk1', rule)).toBeNull();
    expect((await users.findById(alone._id))?.passkeys).toHaveLength(1);

    const two = await account({ passkeys: ['pk1', 'pk2'] });
    expect(await users.removePasskey(two._id, 'pk1', rule)).toMatchObject({ id: 'pk1' });
    expect((await users.findById(two._id))?.passkeys?.map(({ id }) => id)).toEqual(['pk2']);
  });

  it('leaves one passkey when the last two are removed at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const user = await account({ passkeys: ['pk1', 'pk2'] });
      const results = await Promise.all(
        ['pk1', 'pk2'].map((id) =>
          users.removePasskey(user._id, id, methods.keepsAWayToSignIn({ method: 'passkey', id })),
        ),
      );
      expect(results.filter((removed) => removed !== null)).toHaveLength(1);
      expect((await users.findById(user._id))?.passkeys).toHaveLength(1);
    }
  });

  it('leaves one way in when both are removed at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const user = await account({ password: true, identities: ['google'] });
      const results = await Promise.all([
        users.removePassword(user._id, methods.keepsAWayToSignIn({ method: 'password' })),
        users.unlinkIdentity(
          user._id,
          'google',
          methods.keepsAWayToSignIn({ method: 'provider', provider: 'google' }),
        ),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const after = (await users.findById(user._id))!;
      expect(methods.canSignInWithout(after, { method: 'provider', provider: 'none' })).toBe(true);
    }
  });
});
