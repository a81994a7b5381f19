import { Types } from 'mongoose';
import type { Auth } from '../../authenticated-request';
import type { ActiveSession } from '../../sessions/sessions.service';
import { AppError } from '../../../platform/http/app-error';
import type { LinkingService } from './linking/linking.service';
import type { ProviderIdentity } from './providers/provider-identity';
import type { User } from '../../../users/schemas/user.schema';
import type { UsersRepository } from '../../../users/users.repository';
import type { FlowPurpose, SignInFlow } from './sign-in-flow.schema';
import { Transactions } from '../../../platform/database/transactions';
import type { EventsService } from '../../../audit/events/events.service';
import { SocialSignInService } from './social-sign-in.service';

const google = { key: 'google', name: 'Google' };
const returnTo = 'https://app.example/settings';

function user(fields: Partial<User> = {}): User {
  return { _id: new Types.ObjectId(), username: 'ada', identities: [], ...fields } as User;
}

function identity(fields: Partial<ProviderIdentity> = {}): ProviderIdentity {
  return { provider: 'google', subject: 'g-123', ...fields };
}

function flow(purpose: FlowPurpose, sessionId?: string): SignInFlow {
  return { _id: 'state', provider: 'google', purpose, sessionId, returnTo } as SignInFlow;
}

function signedIn(account: User, sessionId = 'session-1'): Auth {
  return { user: account, session: { _id: sessionId, userId: account._id } as ActiveSession };
}

function setup() {
  const users = {
    findByIdentity: jest.fn().mockResolvedValue(null),
    findByLogin: jest.fn().mockResolvedValue(null),
    touchIdentity: jest.fn().mockResolvedValue(undefined),
    createFromProvider: jest.fn(),
    releaseUnverifiedEmail: jest.fn().mockResolvedValue(null),
  };
  const linking = { link: jest.fn() };
  const events = {
    record: jest.fn().mockResolvedValue(undefined),
  };
  // No database here: the work runs as it is, and whatever waits for the commit runs at once.
  const transactions = {
    run: <T>(work: () => Promise<T>) => work(),
    afterCommit: (f: () => void) => f(),
  };
  const service = new SocialSignInService(
    users as unknown as UsersRepository,
    linking as unknown as LinkingService,
    transactions as unknown as Transactions,
    events as unknown as EventsService,
  );
  return { users, linking, events, service };
}

describe('SocialSignInService', () => {
  describe('sign-in', () => {
    it('signs in the account that holds the identity and records the identity as used', async () => {
      const { users, service } = setup();
      const known = user();
      users.findByIdentity.mockResolvedValue(known);

      const outcome = await service.complete(google, identity(), flow('sign-in'), null);

      expect(outcome).toEqual({
        action: 'signed-in',
        user: known,
        returnTo,
        // The sign-in's event is the door's (SignInWrites), written with its session.
        writes: [],
      });
      expect(users.findByIdentity).toHaveBeenCalledWith('google', 'g-123');
      expect(users.touchIdentity).toHaveBeenCalledWith('google', 'g-123');
      expect(users.createFromProvider).not.toHaveBeenCalled();
    });

    it('registers a new account for a new identity, with a username from the handle', async () => {
      const { users, service } = setup();
      const created = user();
      users.createFromProvider.mockResolvedValue(created);
      const newcomer = identity({
        verifiedEmail: 'ada@example.com',
        name: 'Ada Lovelace',
        handle: 'Ada.L',
      });

      const outcome = await service.complete(google, newcomer, flow('sign-in'), null);

      expect(outcome).toEqual({ action: 'registered', user: created, returnTo });
      expect(users.findByLogin).toHaveBeenCalledWith('ada@example.com');
      expect(users.createFromProvider).toHaveBeenCalledWith({
        provider: 'google',
        subject: 'g-123',
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        usernameBase: 'ada_l',
      });
    });

    it.each([
      ['the name', { name: 'Ada Lovelace', verifiedEmail: 'lovelace@example.com' }, 'ada_lovelace'],
      ["the email's local part", { verifiedEmail: 'lovelace@example.com' }, 'lovelace'],
      ['the provider key', {}, 'google'],
    ])('without a handle, bases the username on %s', async (_source, fields, expected) => {
      const { users, service } = setup();
      users.createFromProvider.mockResolvedValue(user());

      await service.complete(google, identity(fields), flow('sign-in'), null);

      expect(users.createFromProvider.mock.calls[0][0].usernameBase).toBe(expected);
    });

    it('does not look up an email the provider did not verify', async () => {
      const { users, service } = setup();
      users.createFromProvider.mockResolvedValue(user());

      await service.complete(google, identity(), flow('sign-in'), null);

      expect(users.findByLogin).not.toHaveBeenCalled();
      expect(users.createFromProvider.mock.calls[0][0].email).toBeUndefined();
    });

    it('refuses to register when the verified email belongs to an account that verified it', async () => {
      const { users, service } = setup();
      users.findByLogin.mockResolvedValue(user({ email: 'ada@example.com', emailVerified: true }));

      await expect(
        service.complete(
          google,
          identity({ verifiedEmail: 'ada@example.com' }),
          flow('sign-in'),
          null,
        ),
      ).rejects.toMatchObject({ code: 'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT' });
      expect(users.createFromProvider).not.toHaveBeenCalled();
      expect(users.releaseUnverifiedEmail).not.toHaveBeenCalled();
    });

    it('takes the address from an account that never verified it, and registers a clean account', async () => {
      const { users, service } = setup();
      users.findByLogin.mockResolvedValue(user({ email: 'ada@example.com', emailVerified: false }));
      const created = user({ email: 'ada@example.com', emailVerified: true });
      users.createFromProvider.mockResolvedValue(created);

      const outcome = await service.complete(
        google,
        identity({ verifiedEmail: 'ada@example.com' }),
        flow('sign-in'),
        null,
      );
      expect(outcome).toMatchObject({ action: 'registered', user: created });
      expect(users.releaseUnverifiedEmail).toHaveBeenCalledWith('ada@example.com');
      expect(users.createFromProvider.mock.calls[0][0]).toMatchObject({ email: 'ada@example.com' });
    });

    it('refuses to register when the email is taken while the account is created', async () => {
      const { users, service } = setup();
      users.createFromProvider.mockRejectedValue(new AppError('EMAIL_TAKEN', 'taken', 'email'));

      await expect(
        service.complete(
          google,
          identity({ verifiedEmail: 'ada@example.com' }),
          flow('sign-in'),
          null,
        ),
      ).rejects.toMatchObject({ code: 'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT' });
    });

    it('signs in when the same identity registered at the same moment (IDENTITY_TAKEN)', async () => {
      const { users, service } = setup();
      const winner = user();
      users.findByIdentity.mockResolvedValueOnce(null).mockResolvedValueOnce(winner);
      users.createFromProvider.mockRejectedValue(new AppError('IDENTITY_TAKEN', 'taken'));

      const outcome = await service.complete(google, identity(), flow('sign-in'), null);

      expect(outcome).toEqual({
        action: 'signed-in',
        user: winner,
        returnTo,
        writes: [],
      });
    });

    it('passes IDENTITY_TAKEN on when the identity cannot be found afterwards', async () => {
      const { users, service } = setup();
      users.createFromProvider.mockRejectedValue(new AppError('IDENTITY_TAKEN', 'taken'));

      await expect(
        service.complete(google, identity(), flow('sign-in'), null),
      ).rejects.toMatchObject({ code: 'IDENTITY_TAKEN' });
    });

    it('passes other creation errors on unchanged', async () => {
      const { users, service } = setup();
      users.createFromProvider.mockRejectedValue(new AppError('USERNAME_TAKEN', 'taken'));

      await expect(
        service.complete(google, identity(), flow('sign-in'), null),
      ).rejects.toMatchObject({ code: 'USERNAME_TAKEN' });
    });
  });

  describe.each(['link', 'reauthenticate'] as const)('%s outside its session', (purpose) => {
    it('is refused with SIGN_IN_CHANGED when no one is signed in any more', async () => {
      const { users, linking, service } = setup();

      await expect(
        service.complete(google, identity(), flow(purpose, 'session-1'), null),
      ).rejects.toMatchObject({ code: 'SIGN_IN_CHANGED' });
      expect(linking.link).not.toHaveBeenCalled();
      expect(users.touchIdentity).not.toHaveBeenCalled();
    });

    it('is refused with SIGN_IN_CHANGED when another session finishes it', async () => {
      const { users, linking, service } = setup();
      const me = user();
      users.findByIdentity.mockResolvedValue(me);

      await expect(
        service.complete(google, identity(), flow(purpose, 'session-1'), signedIn(me, 'session-2')),
      ).rejects.toMatchObject({ code: 'SIGN_IN_CHANGED' });
      expect(linking.link).not.toHaveBeenCalled();
      expect(users.touchIdentity).not.toHaveBeenCalled();
    });
  });

  describe('link', () => {
    it('links the identity to the signed-in account and returns the account as it is now', async () => {
      const { linking, service } = setup();
      const me = user();
      const relinked = user({
        _id: me._id,
        identities: [{ provider: 'google', subject: 'g-123', linkedAt: new Date() }],
      });
      linking.link.mockResolvedValue(relinked);

      const outcome = await service.complete(
        google,
        identity(),
        flow('link', 'session-1'),
        signedIn(me),
      );

      expect(outcome).toEqual({ action: 'linked', user: relinked, returnTo });
      expect(linking.link).toHaveBeenCalledWith(me, identity());
    });

    it("passes LinkingService's refusal on", async () => {
      const { linking, service } = setup();
      const me = user();
      linking.link.mockRejectedValue(new AppError('IDENTITY_LINKED_ELSEWHERE', 'elsewhere'));

      await expect(
        service.complete(google, identity(), flow('link', 'session-1'), signedIn(me)),
      ).rejects.toMatchObject({ code: 'IDENTITY_LINKED_ELSEWHERE' });
    });
  });

  describe('reauthenticate', () => {
    it('confirms the person when the identity is theirs, and records it as used', async () => {
      const { users, service } = setup();
      const me = user();
      // The same account read again: an equal id, not the same object.
      users.findByIdentity.mockResolvedValue(
        user({ _id: new Types.ObjectId(me._id.toHexString()) }),
      );

      const outcome = await service.complete(
        google,
        identity(),
        flow('reauthenticate', 'session-1'),
        signedIn(me),
      );

      expect(outcome).toEqual({ action: 'reauthenticated', user: me, returnTo });
      expect(outcome.user).toBe(me);
      expect(users.touchIdentity).toHaveBeenCalledWith('google', 'g-123');
    });

    it.each([
      ['belongs to another account', () => user()],
      ['belongs to no account', () => null],
    ])('refuses with IDENTITY_MISMATCH when the identity %s', async (_case, owner) => {
      const { users, service } = setup();
      users.findByIdentity.mockResolvedValue(owner());

      await expect(
        service.complete(google, identity(), flow('reauthenticate', 'session-1'), signedIn(user())),
      ).rejects.toMatchObject({ code: 'IDENTITY_MISMATCH' });
      expect(users.touchIdentity).not.toHaveBeenCalled();
    });
  });
});
