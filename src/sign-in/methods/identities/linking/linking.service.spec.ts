import { Types } from 'mongoose';
import type { Auth } from '../../../authenticated-request';
import type { ActiveSession, SessionsService } from '../../../sessions/sessions.service';
import type { ProviderIdentity } from '../providers/provider-identity';
import type { ProvidersConfig } from '../providers/providers-config';
import type { Identity, User } from '../../../../users/schemas/user.schema';
import type { UsersRepository } from '../../../../users/users.repository';
import { Transactions } from '../../../../platform/database/transactions';
import { AccountNotices } from '../../../../email/account-notices';
import type { EventsService } from '../../../../audit/events/events.service';
import { LinkingService } from './linking.service';
import { SignInMethods } from '../../sign-in-methods';

const enabled = [
  { key: 'google', name: 'Google' },
  { key: 'github', name: 'GitHub' },
];
/** The rule for the enabled providers, as the service should apply it. */
const methods = new SignInMethods(['google', 'github']);

function linked(provider: string): Identity {
  return { provider, subject: `${provider}-1`, linkedAt: new Date() };
}

function user(fields: Partial<User> = {}): User {
  return { _id: new Types.ObjectId(), username: 'ada', identities: [], ...fields } as User;
}

function signedIn(account: User): Auth {
  return { user: account, session: { _id: 'session-1', userId: account._id } as ActiveSession };
}

const githubIdentity: ProviderIdentity = {
  provider: 'github',
  subject: 'gh-42',
  verifiedEmail: 'ada@example.com',
};

function setup() {
  const users = {
    linkIdentity: jest.fn(),
    findById: jest.fn().mockResolvedValue(null),
    unlinkIdentity: jest.fn().mockResolvedValue(false),
    removePassword: jest.fn().mockResolvedValue(false),
  };
  const sessions = { endOthers: jest.fn().mockResolvedValue(undefined) };
  const notices = { send: jest.fn().mockResolvedValue(undefined) };
  const events = { record: jest.fn().mockResolvedValue(undefined) };
  // No database here: the work runs as it is, and whatever waits for the commit runs at once.
  const transactions = {
    run: <T>(work: () => Promise<T>) => work(),
    afterCommit: (f: () => void) => f(),
  };
  const service = new LinkingService(
    users as unknown as UsersRepository,
    sessions as unknown as SessionsService,
    notices as unknown as AccountNotices,
    transactions as unknown as Transactions,
    events as unknown as EventsService,
    { providers: enabled } as unknown as ProvidersConfig,
  );
  return { users, sessions, notices, service };
}

describe('LinkingService', () => {
  describe('link', () => {
    it.each(['linked', 'already-linked'])(
      'returns the account as it is now when the result is %s',
      async (result) => {
        const { users, service } = setup();
        const me = user();
        const now = user({ _id: me._id, identities: [linked('github')] });
        users.linkIdentity.mockResolvedValue(result);
        users.findById.mockResolvedValue(now);

        await expect(service.link(me, githubIdentity)).resolves.toBe(now);
        expect(users.linkIdentity).toHaveBeenCalledWith(me._id, {
          provider: 'github',
          subject: 'gh-42',
          email: 'ada@example.com',
          // The account's email is not verified: the link is marked, in case it is not the owner's.
          linkedBeforeEmailVerified: true,
        });
        expect(users.findById).toHaveBeenCalledWith(me._id);
      },
    );

    it.each([
      ['linked-elsewhere', 'IDENTITY_LINKED_ELSEWHERE'],
      ['other-identity-linked', 'PROVIDER_ALREADY_LINKED'],
      ['no-account', 'UNAUTHENTICATED'],
    ])('refuses when the result is %s, with %s', async (result, code) => {
      const { users, service } = setup();
      users.linkIdentity.mockResolvedValue(result);

      await expect(service.link(user(), githubIdentity)).rejects.toMatchObject({
        code,
      });
    });

    it('tells the verified address of a new link, and marks nothing on a verified account', async () => {
      const { users, notices, service } = setup();
      const me = user({ email: 'ada@example.com', emailVerified: true });
      users.linkIdentity.mockResolvedValue('linked');
      users.findById.mockResolvedValue(me);

      await service.link(me, githubIdentity);
      expect(users.linkIdentity.mock.calls[0][1]).toMatchObject({
        linkedBeforeEmailVerified: false,
      });
      expect(notices.send).toHaveBeenCalledWith(me, 'provider-notice', {
        provider: 'GitHub',
        action: 'connected',
      });
    });

    it('refuses with UNAUTHENTICATED when the account is gone once linked', async () => {
      const { users, service } = setup();
      users.linkIdentity.mockResolvedValue('linked');

      await expect(service.link(user(), githubIdentity)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    });

    it('refuses an identity of a provider that is not enabled, linking nothing', async () => {
      const { users, service } = setup();

      await expect(
        service.link(user(), { provider: 'facebook', subject: 'fb-1' }),
      ).rejects.toMatchObject({ code: 'UNKNOWN_PROVIDER' });
      expect(users.linkIdentity).not.toHaveBeenCalled();
    });
  });

  describe('connections', () => {
    const view = (account: User) => setup().service.connections(account);
    const unlinkable = (account: User) =>
      Object.fromEntries(view(account).connections.map(({ key, canUnlink }) => [key, canUnlink]));

    it('lists every enabled provider in order, with whether it is linked', () => {
      const { connections } = view(user({ identities: [linked('github')] }));

      expect(connections.map(({ key, name, linked }) => ({ key, name, linked }))).toEqual([
        { key: 'google', name: 'Google', linked: false },
        { key: 'github', name: 'GitHub', linked: true },
      ]);
    });

    it('does not let a password-only account remove its password', () => {
      const account = user({ passwordHash: 'hash' });

      expect(view(account).password).toEqual({ set: true, canRemove: false });
      expect(unlinkable(account)).toEqual({ google: false, github: false });
    });

    it('lets an account with a password and Google unlink Google or remove the password', () => {
      const account = user({ passwordHash: 'hash', identities: [linked('google')] });

      expect(view(account).password).toEqual({ set: true, canRemove: true });
      expect(unlinkable(account)).toEqual({ google: true, github: false });
    });

    it('does not let a Google-only account unlink Google', () => {
      const account = user({ identities: [linked('google')] });

      expect(view(account).password).toEqual({ set: false, canRemove: false });
      expect(unlinkable(account)).toEqual({ google: false, github: false });
    });

    it('lets an account with Google and GitHub unlink either', () => {
      expect(unlinkable(user({ identities: [linked('google'), linked('github')] }))).toEqual({
        google: true,
        github: true,
      });
    });

    it('does not count identities of a disabled provider', () => {
      const withPassword = user({ passwordHash: 'hash', identities: [linked('facebook')] });
      const withGoogle = user({ identities: [linked('google'), linked('facebook')] });

      expect(view(withPassword).password).toEqual({ set: true, canRemove: false });
      expect(view(withPassword).connections.map(({ key }) => key)).toEqual(['google', 'github']);
      expect(unlinkable(withGoogle)).toEqual({ google: false, github: false });
    });
  });

  describe('unlink', () => {
    it('unlinks under the never-lock-out rule and ends other sessions signed in through it', async () => {
      const { users, sessions, service } = setup();
      const me = user({ passwordHash: 'hash', identities: [linked('google')] });
      users.unlinkIdentity.mockResolvedValue(true);

      await expect(service.unlink(signedIn(me), 'google')).resolves.toBeUndefined();

      expect(users.unlinkIdentity).toHaveBeenCalledWith(
        me._id,
        'google',
        methods.keepsAWayToSignIn({ method: 'provider', provider: 'google' }),
      );
      expect(sessions.endOthers).toHaveBeenCalledWith(me._id, 'session-1', {
        method: 'provider',
        provider: 'google',
      });
    });

    it('refuses with NOT_LINKED when the account has no identity of that provider', async () => {
      const { users, sessions, service } = setup();
      const me = user({ passwordHash: 'hash', identities: [linked('github')] });
      users.findById.mockResolvedValue(me);

      await expect(service.unlink(signedIn(me), 'google')).rejects.toMatchObject({
        code: 'NOT_LINKED',
      });
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });

    it('refuses with LAST_LOGIN_METHOD when the identity is the only way to sign in', async () => {
      const { users, sessions, service } = setup();
      const me = user({ identities: [linked('google')] });
      users.findById.mockResolvedValue(me);

      await expect(service.unlink(signedIn(me), 'google')).rejects.toMatchObject({
        code: 'LAST_LOGIN_METHOD',
      });
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });

    it('refuses with UNAUTHENTICATED when the account is gone', async () => {
      const { service } = setup();

      await expect(service.unlink(signedIn(user()), 'google')).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    });

    it('refuses an unknown provider key with UNKNOWN_PROVIDER, touching nothing', async () => {
      const { users, sessions, service } = setup();

      await expect(service.unlink(signedIn(user()), 'facebook')).rejects.toMatchObject({
        code: 'UNKNOWN_PROVIDER',
      });
      expect(users.unlinkIdentity).not.toHaveBeenCalled();
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });
  });

  describe('removePassword', () => {
    it('removes it under the never-lock-out rule and ends other password sessions', async () => {
      const { users, sessions, service } = setup();
      const me = user({ passwordHash: 'hash', identities: [linked('google')] });
      users.removePassword.mockResolvedValue(true);

      await expect(service.removePassword(signedIn(me))).resolves.toBeUndefined();

      expect(users.removePassword).toHaveBeenCalledWith(
        me._id,
        methods.keepsAWayToSignIn({ method: 'password' }),
      );
      expect(sessions.endOthers).toHaveBeenCalledWith(me._id, 'session-1', { method: 'password' });
    });

    it('refuses with NO_PASSWORD when the account has none', async () => {
      const { users, sessions, service } = setup();
      const me = user({ identities: [linked('google')] });
      users.findById.mockResolvedValue(me);

      await expect(service.removePassword(signedIn(me))).rejects.toMatchObject({
        code: 'NO_PASSWORD',
      });
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });

    it('refuses with LAST_LOGIN_METHOD when the password is the only way to sign in', async () => {
      const { users, sessions, service } = setup();
      const me = user({ passwordHash: 'hash' });
      users.findById.mockResolvedValue(me);

      await expect(service.removePassword(signedIn(me))).rejects.toMatchObject({
        code: 'LAST_LOGIN_METHOD',
      });
      expect(sessions.endOthers).not.toHaveBeenCalled();
    });
  });

  describe('provider', () => {
    it('names an enabled provider and refuses any other key with UNKNOWN_PROVIDER', () => {
      const { service } = setup();

      expect(service.provider('github')).toEqual({ key: 'github', name: 'GitHub' });
      expect(() => service.provider('facebook')).toThrow(
        expect.objectContaining({ code: 'UNKNOWN_PROVIDER' }),
      );
    });
  });
});
