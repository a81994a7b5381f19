import { Inject, Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import type { Auth } from '../../../authenticated-request';
import { SessionsService } from '../../../sessions/sessions.service';
import { AppError } from '../../../../platform/http/app-error';
import { Transactions } from '../../../../platform/database/transactions';
import { AccountNotices } from '../../../../email/account-notices';
import { userActor } from '../../../../audit/events/event.schema';
import { EventsService } from '../../../../audit/events/events.service';
import type { ProviderIdentity } from '../providers/provider-identity';
import { ProvidersConfig, providersConfig } from '../providers/providers-config';
import { User } from '../../../../users/schemas/user.schema';
import { LinkResult, UsersRepository } from '../../../../users/users.repository';
import { ConnectionsView } from './connections.view';
import { SIGN_IN_METHODS, SignInMethods, WayIn } from '../../sign-in-methods';

interface ProviderName {
  key: string;
  name: string;
}

/** Linking and unlinking providers, and removing the password, under the never-lock-out rule. */
@Injectable()
export class LinkingService {
  private readonly providers: ProviderName[];
  private readonly methods: SignInMethods;

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly notices: AccountNotices,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    @Inject(providersConfig.KEY) { providers }: ProvidersConfig,
  ) {
    this.providers = providers.map(({ key, name }) => ({ key, name }));
    this.methods = new SignInMethods(this.providers.map(({ key }) => key));
  }

  /**
   * Adds an identity to an account, unless it belongs elsewhere or the account has another of its
   * kind; the account's verified address hears of it.
   */
  async link(user: User, identity: ProviderIdentity): Promise<User> {
    const provider = this.provider(identity.provider);
    // Every refusal throws inside the transaction: after a unique-index violation the database has
    // already ended it, and only an error (not a commit) may follow.
    await this.transactions.run(async () => {
      const result = await this.users.linkIdentity(user._id, {
        provider: identity.provider,
        subject: identity.subject,
        email: identity.verifiedEmail,
        linkedBeforeEmailVerified: !user.emailVerified,
      });
      if (result === 'linked') {
        await this.events.record({
          type: 'identity.linked',
          userId: user._id,
          // The provider's callback is a public route: the flow proved who started it.
          actor: userActor(user._id),
          details: { provider: identity.provider },
        });
        await this.notices.send(user, 'provider-notice', {
          provider: provider.name,
          action: 'connected',
        });
      } else if (result !== 'already-linked') {
        throw linkRefused(result, provider);
      }
    });
    return this.current(user._id);
  }

  connections(user: User): ConnectionsView {
    const hasPassword = typeof user.passwordHash === 'string';
    return {
      connections: this.providers.map(({ key }) => {
        const identity: WayIn = { method: 'provider', provider: key };
        const linked = (user.identities ?? []).some(({ provider }) => provider === key);
        return {
          key,
          name: SIGN_IN_METHODS.provider.label(identity, this.providers),
          linked,
          canUnlink: linked && this.methods.canSignInWithout(user, identity),
        };
      }),
      password: {
        set: hasPassword,
        canRemove: hasPassword && this.methods.canSignInWithout(user, { method: 'password' }),
      },
    };
  }

  /** Disconnects a provider, and ends the account's other sessions that signed in through it. */
  async unlink({ user, session }: Auth, key: string): Promise<void> {
    const provider = this.provider(key);
    const outcome = await this.removeIdentity(user, provider, session._id);
    if (outcome === 'not-linked') {
      throw new AppError('NOT_LINKED', `Your account is not connected to ${provider.name}.`);
    }
    if (outcome === 'last-login-method') {
      throw new AppError(
        'LAST_LOGIN_METHOD',
        `${provider.name} is your only way to sign in. Set a password, add a passkey or connect another provider before disconnecting it.`,
      );
    }
  }

  /**
   * An admin disconnects the account's identity of `key` (a provider switched off since
   * included), under the same rule, and ends every session that signed in through it.
   */
  async unlinkForAdmin(user: User, key: string): Promise<void> {
    const provider = this.providers.find((candidate) => candidate.key === key) ?? {
      key,
      name: key,
    };
    const outcome = await this.removeIdentity(user, provider, undefined);
    if (outcome === 'not-linked') {
      throw new AppError('NOT_LINKED', `The account is not connected to ${provider.name}.`);
    }
    if (outcome === 'last-login-method') {
      throw new AppError(
        'LAST_LOGIN_METHOD',
        `${provider.name} is the account's only way to sign in: it needs a password, a passkey or another provider first.`,
      );
    }
  }

  /**
   * The never-lock-out rule's unlink: one conditional update whose filter is the rule; then the
   * sessions but `keepSession` that signed in through it end and the owner hears of it.
   */
  private async removeIdentity(
    user: User,
    provider: ProviderName,
    keepSession: string | undefined,
  ): Promise<'unlinked' | 'not-linked' | 'last-login-method'> {
    const identity: WayIn = { method: 'provider', provider: provider.key };
    const removed = await this.transactions.run(async () => {
      const unlinked = await this.users.unlinkIdentity(
        user._id,
        provider.key,
        this.methods.keepsAWayToSignIn(identity),
      );
      if (unlinked) {
        await this.sessions.endOthers(user._id, keepSession, identity);
        await this.events.record({
          type: 'identity.unlinked',
          userId: user._id,
          details: { provider: provider.key },
        });
        await this.notices.send(user, 'provider-notice', {
          provider: provider.name,
          action: 'disconnected',
        });
      }
      return unlinked;
    });
    if (removed) return 'unlinked';
    const current = await this.current(user._id);
    return current.identities.some(({ provider: key }) => key === provider.key)
      ? 'last-login-method'
      : 'not-linked';
  }

  /** Removes the password, and ends the account's other sessions that signed in with it. */
  async removePassword({ user, session }: Auth): Promise<void> {
    const password: WayIn = { method: 'password' };
    const removed = await this.transactions.run(async () => {
      const unset = await this.users.removePassword(
        user._id,
        this.methods.keepsAWayToSignIn(password),
      );
      if (unset) {
        await this.sessions.endOthers(user._id, session._id, password);
        await this.events.record({ type: 'password.removed', userId: user._id });
        await this.notices.send(user, 'password-notice', { action: 'removed' });
      }
      return unset;
    });
    if (removed) return;
    const current = await this.current(user._id);
    if (typeof current.passwordHash !== 'string') {
      throw new AppError('NO_PASSWORD', 'Your account has no password to remove.');
    }
    throw new AppError(
      'LAST_LOGIN_METHOD',
      'Your password is your only way to sign in. Add a passkey or connect a provider before removing it.',
    );
  }

  /**
   * The account's address was just proven by someone who may not be who linked its providers (a
   * verification link used outside its sessions, a password reset): those linked while the address
   * was unverified are unlinked. Call inside the proof's transaction.
   */
  async unlinkLinkedBeforeVerification(userId: Types.ObjectId): Promise<void> {
    for (const provider of await this.users.unlinkIdentitiesLinkedBeforeVerification(userId)) {
      const details = { provider, reason: 'linked_before_email_verified' };
      await this.events.record({ type: 'identity.unlinked', userId, details });
    }
  }

  /** The enabled provider with this key; 404 UNKNOWN_PROVIDER otherwise. */
  provider(key: string): ProviderName {
    const provider = this.providers.find((candidate) => candidate.key === key);
    if (!provider) throw new AppError('UNKNOWN_PROVIDER', `There is no sign-in provider "${key}".`);
    return provider;
  }

  private async current(userId: User['_id']): Promise<User> {
    const current = await this.users.findById(userId);
    if (!current) throw accountGone();
    return current;
  }
}

function linkRefused(
  result: Exclude<LinkResult, 'linked' | 'already-linked'>,
  provider: ProviderName,
): AppError {
  switch (result) {
    case 'linked-elsewhere':
      return new AppError(
        'IDENTITY_LINKED_ELSEWHERE',
        `This ${provider.name} account is already connected to another account. Sign in to that account and disconnect it there first.`,
      );
    case 'other-identity-linked':
      return new AppError(
        'PROVIDER_ALREADY_LINKED',
        `Your account is already connected to a different ${provider.name} account. Disconnect that one first.`,
      );
    case 'no-account':
      return accountGone();
  }
}

function accountGone(): AppError {
  return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
}
