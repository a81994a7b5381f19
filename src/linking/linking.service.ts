import { Injectable } from '@nestjs/common';
import { ProviderInfo, enabledProviders } from '../auth/providers/provider-catalog';
import type { ProviderIdentity } from '../auth/providers/provider-definition';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { ConnectionsView } from './connections.view';
import { canSignInWithout, keepsAWayToSignIn } from './sign-in-methods';

/** Linking and unlinking login providers, and removing the password, under the never-lock-out rule. */
@Injectable()
export class LinkingService {
  private readonly providers: ProviderInfo[];
  private readonly keys: string[];

  constructor(
    private readonly users: UsersRepository,
    config: AppConfig,
  ) {
    this.providers = enabledProviders(config);
    this.keys = this.providers.map(({ key }) => key);
  }

  /** Adds an identity to an account, unless it belongs elsewhere or the account has another of its kind. */
  async link(user: User, identity: ProviderIdentity): Promise<User> {
    const provider = this.provider(identity.provider);
    const result = await this.users.linkProvider(user._id, provider.key, identity.subject);
    switch (result) {
      case 'linked':
      case 'already-linked':
        return (await this.users.findById(user._id)) ?? user;
      case 'linked-elsewhere':
        throw new AppError(
          'IDENTITY_LINKED_ELSEWHERE',
          `This ${provider.name} account is already connected to another account. Sign in to that account and disconnect it there first.`,
        );
      case 'other-identity-linked':
        throw new AppError(
          'PROVIDER_ALREADY_LINKED',
          `Your account is already connected to a different ${provider.name} account. Disconnect that one first.`,
        );
      case 'no-account':
        throw new AppError('UNAUTHENTICATED', 'This account no longer exists.');
    }
  }

  connections(user: User): ConnectionsView {
    return {
      connections: this.providers.map(({ key, name }) => {
        const linked = typeof user.providers?.[key] === 'string';
        return {
          key,
          name,
          linked,
          canUnlink: linked && canSignInWithout(user, { provider: key }, this.keys),
        };
      }),
      password: {
        set: typeof user.passwordHash === 'string',
        canRemove:
          typeof user.passwordHash === 'string' &&
          canSignInWithout(user, { password: true }, this.keys),
      },
    };
  }

  async unlink(user: User, key: string): Promise<void> {
    const provider = this.provider(key);
    const removed = await this.users.removeLoginMethod(
      user._id,
      `providers.${key}`,
      keepsAWayToSignIn({ provider: key }, this.keys),
    );
    if (removed) return;
    const current = await this.current(user);
    if (typeof current.providers?.[key] !== 'string') {
      throw new AppError('NOT_LINKED', `Your account is not connected to ${provider.name}.`);
    }
    throw new AppError(
      'LAST_LOGIN_METHOD',
      `${provider.name} is your only way to sign in. Set a password or connect another provider before disconnecting it.`,
    );
  }

  async removePassword(user: User): Promise<void> {
    const removed = await this.users.removeLoginMethod(
      user._id,
      'passwordHash',
      keepsAWayToSignIn({ password: true }, this.keys),
    );
    if (removed) return;
    const current = await this.current(user);
    if (typeof current.passwordHash !== 'string') {
      throw new AppError('NO_PASSWORD', 'Your account has no password to remove.');
    }
    throw new AppError(
      'LAST_LOGIN_METHOD',
      'Your password is your only way to sign in. Connect a provider before removing it.',
    );
  }

  private provider(key: string): ProviderInfo {
    const provider = this.providers.find((candidate) => candidate.key === key);
    if (!provider) throw new AppError('UNKNOWN_PROVIDER', `There is no sign-in provider "${key}".`);
    return provider;
  }

  private async current(user: User): Promise<User> {
    const current = await this.users.findById(user._id);
    if (!current) throw new AppError('UNAUTHENTICATED', 'This account no longer exists.');
    return current;
  }
}
