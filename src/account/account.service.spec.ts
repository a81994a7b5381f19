import { Types } from 'mongoose';
import type { AuthService } from '../sign-in/auth.service';
import type { Auth } from '../sign-in/authenticated-request';
import type { PasswordHasher } from '../sign-in/methods/password/password-hasher.service';
import { PasswordPolicy } from '../sign-in/methods/password/password-policy.service';
import type { ActiveSession, SessionsService } from '../sign-in/sessions/sessions.service';
import { AppError } from '../platform/http/app-error';
import type { PasswordConfig } from '../sign-in/methods/password/password-config';
import type { User } from '../users/schemas/user.schema';
import type { LastAdminRule } from '../users/last-admin.rule';
import type { UsersRepository } from '../users/users.repository';
import { Transactions } from '../platform/database/transactions';
import { AccountNotices } from '../email/account-notices';
import type { EventsService } from '../audit/events/events.service';
import { readProfileFields } from '../users/profile-fields/profile-field-settings';
import { ProfileFields } from '../users/profile-fields/profile-fields.service';
import { EmailVerification } from './email-verification/email-verification.service';
import { AccountService, changedFields, changesSignInName } from './account.service';

const RIGHT_PASSWORD = 'the right current password';
const NEW_PASSWORD = 'a brand new long passphrase';

function user(fields: Partial<User> = {}): User {
  return {
    _id: new Types.ObjectId(),
    username: 'ada',
    email: 'ada@example.com',
    identities: [],
    ...fields,
  } as User;
}

/** An account with a password, and one that signs in only through a provider. */
const withPassword = () => user({ passwordHash: 'stored-hash' });
const socialOnly = () =>
  user({ identities: [{ provider: 'google', subject: 'g-1', linkedAt: new Date() }] });

function signedIn(account: User): Auth {
  return { user: account, session: { _id: 'session-1', userId: account._id } as ActiveSession };
}

function setup() {
  const users = {
    // The account as stored before a change.
    findById: jest.fn((id: Types.ObjectId) => Promise.resolve(user({ _id: id }))),
    updateProfile: jest.fn(),
    setPasswordHash: jest.fn((id: Types.ObjectId, passwordHash: string) =>
      Promise.resolve(user({ _id: id, passwordHash })),
    ),
    delete: jest.fn().mockResolvedValue(true),
  };
  const auth = {
    // Accepts only the right password, failing as AuthService does, on the field it is given.
    confirmPassword: jest.fn((_user: User, password: string, field: string) =>
      password === RIGHT_PASSWORD
        ? Promise.resolve()
        : Promise.reject(new AppError('WRONG_PASSWORD', 'The password is incorrect.', field)),
    ),
  };
  const hasher = {
    hash: jest.fn((password: string, key: string) => Promise.resolve(`hash(${password}, ${key})`)),
  };
  // The real policy: pure, and what decides which passwords are acceptable.
  const policy = new PasswordPolicy({ PASSWORD_MIN_LENGTH: 15 } as PasswordConfig);
  const sessions = {
    endOthers: jest.fn().mockResolvedValue(undefined),
    endAll: jest.fn().mockResolvedValue(undefined),
  };
  // No database here: the work runs as it is, and whatever waits for the commit runs at once.
  const transactions = {
    run: <T>(work: () => Promise<T>) => work(),
    afterCommit: (f: () => void) => f(),
  };
  const verification = { requestChange: jest.fn() };
  const notices = { send: jest.fn().mockResolvedValue(undefined) };
  // The rule's own tests run against the database (admin-api.e2e-spec.ts); here it lets all pass.
  const lastAdmin = { guard: <T>(_user: User, change: () => Promise<T>) => change() };
  const events = { record: jest.fn().mockResolvedValue(undefined) };
  const { fields: profileFields } = readProfileFields(
    JSON.stringify([
      { key: 'company', label: 'Company', type: 'text' },
      { key: 'age', label: 'Age', type: 'integer', required: true },
    ]),
  );
  const service = new AccountService(
    users as unknown as UsersRepository,
    auth as unknown as AuthService,
    hasher as unknown as PasswordHasher,
    policy,
    sessions as unknown as SessionsService,
    transactions as unknown as Transactions,
    verification as unknown as EmailVerification,
    notices as unknown as AccountNotices,
    new ProfileFields({ profileFields }),
    lastAdmin as unknown as LastAdminRule,
    events as unknown as EventsService,
  );
  return { users, auth, hasher, sessions, verification, notices, events, service };
}

describe('AccountService', () => {
  describe('changePassword', () => {
    it('requires the current password when the account has one, as a wrong one', async () => {
      const { users, sessions, service } = setup();

      await expect(
        service.changePassword(signedIn(withPassword()), { newPassword: NEW_PASSWORD }),
      ).rejects.toMatchObject({ code: 'WRONG_PASSWORD', field: 'currentPassword' });
      expect(users.setPasswordHash).not.toHaveBeenCalled();
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });

    it('refuses a wrong current password, changing nothing', async () => {
      const { auth, users, sessions, service } = setup();
      const me = withPassword();

      await expect(
        service.changePassword(signedIn(me), {
          currentPassword: 'not it',
          newPassword: NEW_PASSWORD,
        }),
      ).rejects.toMatchObject({ code: 'WRONG_PASSWORD', field: 'currentPassword' });
      expect(auth.confirmPassword).toHaveBeenCalledWith(me, 'not it', 'currentPassword');
      expect(users.setPasswordHash).not.toHaveBeenCalled();
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });

    it('refuses a new password the policy rejects, changing nothing', async () => {
      const { users, sessions, service } = setup();

      await expect(
        service.changePassword(signedIn(withPassword()), {
          currentPassword: RIGHT_PASSWORD,
          newPassword: 'short',
        }),
      ).rejects.toMatchObject({ code: 'WEAK_PASSWORD', field: 'newPassword' });
      expect(users.setPasswordHash).not.toHaveBeenCalled();
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });

    it.each([
      ['email address', { email: 'grace@example.com' }, 'my GRACE@example.com passphrase'],
      ['username', { username: 'amazing_grace' }, 'I am Amazing_Grace, the admiral'],
    ])(
      'refuses a new password containing the account’s %s, changing nothing',
      async (what, fields, newPassword) => {
        const { users, sessions, service } = setup();

        await expect(
          service.changePassword(signedIn(user({ ...fields, passwordHash: 'stored-hash' })), {
            currentPassword: RIGHT_PASSWORD,
            newPassword,
          }),
        ).rejects.toMatchObject({
          code: 'WEAK_PASSWORD',
          field: 'newPassword',
          message: `Your password must not contain your ${what}.`,
        });
        expect(users.setPasswordHash).not.toHaveBeenCalled();
        expect(sessions.endOthers).not.toHaveBeenCalled();
      },
    );

    it('stores the hash of the new password and ends every other session, not this one', async () => {
      const { users, sessions, service } = setup();
      const me = withPassword();

      await expect(
        service.changePassword(signedIn(me), {
          currentPassword: RIGHT_PASSWORD,
          newPassword: NEW_PASSWORD,
        }),
      ).resolves.toBeUndefined();

      // Only while the password is still the one checked (a parallel change wins or loses whole).
      expect(users.setPasswordHash).toHaveBeenCalledWith(
        me._id,
        `hash(${NEW_PASSWORD}, user:${me._id.toHexString()})`,
        me.passwordHash,
      );
      // No sign-in method filter: every other session ends, whatever it signed in with.
      expect(sessions.endOthers).toHaveBeenCalledWith(me._id, 'session-1');
    });

    it('sets a first password on a social-only account without a current password', async () => {
      const { auth, users, sessions, service } = setup();
      const me = socialOnly();

      await service.changePassword(signedIn(me), { newPassword: NEW_PASSWORD });

      expect(auth.confirmPassword).not.toHaveBeenCalled();
      // Only while it still has none.
      expect(users.setPasswordHash).toHaveBeenCalledWith(
        me._id,
        `hash(${NEW_PASSWORD}, user:${me._id.toHexString()})`,
        undefined,
      );
      expect(sessions.endOthers).toHaveBeenCalledWith(me._id, 'session-1');
    });

    it('refuses with UNAUTHENTICATED when the account is gone, ending no session', async () => {
      const { users, sessions, service } = setup();
      users.setPasswordHash.mockResolvedValue(null as unknown as User);
      users.findById.mockResolvedValue(null as unknown as User);

      await expect(
        service.changePassword(signedIn(socialOnly()), { newPassword: NEW_PASSWORD }),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });
  });

  describe('deleteAccount', () => {
    it('requires the password when the account has one, as a wrong one', async () => {
      const { users, sessions, service } = setup();

      await expect(
        service.deleteAccount(signedIn(withPassword()), undefined),
      ).rejects.toMatchObject({ code: 'WRONG_PASSWORD', field: 'password' });
      expect(users.delete).not.toHaveBeenCalled();
      expect(sessions.endAll).not.toHaveBeenCalled();
    });

    it('refuses a wrong password, deleting nothing', async () => {
      const { users, sessions, service } = setup();

      await expect(service.deleteAccount(signedIn(withPassword()), 'not it')).rejects.toMatchObject(
        { code: 'WRONG_PASSWORD', field: 'password' },
      );
      expect(users.delete).not.toHaveBeenCalled();
      expect(sessions.endAll).not.toHaveBeenCalled();
    });

    it('deletes the account and ends all its sessions once the password is confirmed', async () => {
      const { auth, users, sessions, service } = setup();
      const me = withPassword();

      await service.deleteAccount(signedIn(me), RIGHT_PASSWORD);

      expect(auth.confirmPassword).toHaveBeenCalledWith(me, RIGHT_PASSWORD, 'password');
      expect(users.delete).toHaveBeenCalledWith(me._id);
      expect(sessions.endAll).toHaveBeenCalledWith(me._id);
    });

    it('deletes a social-only account without a password', async () => {
      const { auth, users, sessions, service } = setup();
      const me = socialOnly();

      await service.deleteAccount(signedIn(me), undefined);

      expect(auth.confirmPassword).not.toHaveBeenCalled();
      expect(users.delete).toHaveBeenCalledWith(me._id);
      expect(sessions.endAll).toHaveBeenCalledWith(me._id);
    });
  });

  describe('updateProfile', () => {
    it('passes the changes on and returns the updated account', async () => {
      const { users, service } = setup();
      const me = user();
      const updated = user({ _id: me._id, username: 'lovelace', name: undefined });
      users.updateProfile.mockResolvedValue(updated);
      const changes = { username: 'Lovelace', name: null };

      await expect(service.updateProfile(me, changes)).resolves.toEqual({
        user: updated,
        emailChangePending: false,
      });
      expect(users.updateProfile).toHaveBeenCalledWith(me._id, changes);
    });

    it('leaves a new email to the verification, pending, and applies the rest at once', async () => {
      const { users, verification, service } = setup();
      const me = user();
      const renamed = user({ _id: me._id, name: 'Ada' });
      const pending = user({ _id: me._id, name: 'Ada', pendingEmail: 'new@example.com' });
      users.updateProfile.mockResolvedValue(renamed);
      verification.requestChange.mockResolvedValue(pending);

      await expect(
        service.updateProfile(me, { name: 'Ada', email: 'new@example.com' }),
      ).resolves.toEqual({ user: pending, emailChangePending: true });
      expect(users.updateProfile).toHaveBeenCalledWith(me._id, { name: 'Ada' });
      expect(verification.requestChange).toHaveBeenCalledWith(renamed, 'new@example.com');
    });

    it('passes on only the profile values given, checked and normalised (null removes one)', async () => {
      const { users, service } = setup();
      const me = user();
      users.updateProfile.mockResolvedValue(me);

      await service.updateProfile(me, { data: { company: '  Babbage & Co ', age: 36 } });
      await service.updateProfile(me, { name: 'Ada', data: { company: null } });
      expect(users.updateProfile.mock.calls).toEqual([
        [me._id, { data: { company: 'Babbage & Co', age: 36 } }],
        [me._id, { name: 'Ada', data: { company: null } }],
      ]);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an unknown key', { nickname: 'Ada' }, 'data.nickname'],
      ['a string for an integer', { age: '36' }, 'data.age'],
      ['a required value set to null', { age: null }, 'data.age'],
    ])('refuses %s naming data.<key>, changing nothing', async (_case, data, field) => {
      const { users, service } = setup();
      await expect(service.updateProfile(user(), { name: 'Ada', data })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field,
      });
      expect(users.updateProfile).not.toHaveBeenCalled();
    });

    it('refuses with UNAUTHENTICATED when the account is gone', async () => {
      const { users, service } = setup();
      users.updateProfile.mockResolvedValue(null);

      await expect(service.updateProfile(user(), { name: 'Ada' })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    });

    it('records profile.updated naming the fields the update changed, compared with the stored account', async () => {
      const { users, events, service } = setup();
      const me = user();
      users.findById.mockResolvedValue(user({ _id: me._id, name: 'Ada', data: { age: 36 } }));
      users.updateProfile.mockResolvedValue(
        user({ _id: me._id, name: 'Ada', username: 'lovelace', data: { age: 37 } }),
      );

      await service.updateProfile(me, { name: 'Ada', username: 'lovelace', data: { age: 37 } });
      expect(events.record).toHaveBeenCalledWith({
        type: 'profile.updated',
        userId: me._id,
        details: { fields: ['username', 'data.age'] },
      });
    });

    it('records nothing when the update changed nothing', async () => {
      const { users, events, service } = setup();
      const me = user({ name: 'Ada' });
      users.findById.mockResolvedValue(me);
      users.updateProfile.mockResolvedValue(me);

      await service.updateProfile(me, { name: 'Ada', username: 'ada' });
      expect(events.record).not.toHaveBeenCalled();
    });
  });
});

describe('changedFields', () => {
  it('names changed, added and removed values, never the values themselves', () => {
    const before = user({ name: 'Ada', data: { company: 'Babbage & Co', age: 36, pro: true } });
    const after = user({ username: 'ada', data: { age: 36, pro: false, plan: 'free' } });
    expect(changedFields(before, after)).toEqual(['name', 'data.company', 'data.plan', 'data.pro']);
  });
});

describe('changesSignInName', () => {
  const ada = user({ email: 'ada@example.com', username: 'ada' });

  it.each<[string, Record<string, unknown>]>([
    ['the same email in another case', { email: ' ADA@Example.com ' }],
    ['a blank email', { email: '   ' }],
    ['a blank username', { username: '' }],
    ['the same username in another case', { username: 'Ada' }],
    ['a null email', { email: null }],
    ['only a new name', { name: 'Ada Lovelace' }],
  ])('does not count %s as a change', (_case, changes) => {
    expect(changesSignInName(ada, changes)).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a different email', { email: 'lovelace@example.com' }],
    ['a different username', { username: 'lovelace' }],
    [
      'a different username beside an unchanged email',
      { email: 'ada@example.com', username: 'bob' },
    ],
  ])('counts %s as a change', (_case, changes) => {
    expect(changesSignInName(ada, changes)).toBe(true);
  });

  it('counts a first email on an account without one as a change', () => {
    expect(changesSignInName(user({ email: undefined }), { email: 'ada@example.com' })).toBe(true);
  });
});
