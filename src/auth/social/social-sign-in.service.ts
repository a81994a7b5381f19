import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/app-error';
import { LinkingService } from '../../linking/linking.service';
import { usernameBase } from '../../users/identifiers';
import { User } from '../../users/schemas/user.schema';
import { UsersRepository } from '../../users/users.repository';
import type { Auth } from '../authenticated-request';
import type { ProviderInfo } from '../providers/provider-catalog';
import type { ProviderIdentity } from '../providers/provider-definition';
import type { SignInFlow } from './sign-in-flow.schema';

export type SocialOutcome =
  { action: 'signed-in' | 'registered'; user: User } | { action: 'linked'; user: User };

/** What a verified provider identity does: sign in, create an account, or link to the current one. */
@Injectable()
export class SocialSignInService {
  constructor(
    private readonly users: UsersRepository,
    private readonly linking: LinkingService,
  ) {}

  async complete(
    provider: ProviderInfo,
    identity: ProviderIdentity,
    flow: SignInFlow,
    current: Auth | null,
  ): Promise<SocialOutcome> {
    if (flow.linkUserId) {
      // The person who started linking must still be the one signed in.
      if (!current || !current.user._id.equals(flow.linkUserId)) {
        throw new AppError(
          'SIGN_IN_CHANGED',
          `You signed out or switched accounts while connecting ${provider.name}, so nothing was changed. Please try again from your settings.`,
        );
      }
      return { action: 'linked', user: await this.linking.link(current.user, identity) };
    }
    const known = await this.users.findByProvider(provider.key, identity.subject);
    if (known) return { action: 'signed-in', user: known };
    return this.register(provider, identity);
  }

  /**
   * A new account for a new identity. An email that already belongs to an account is never merged:
   * someone may have registered it first to take over whoever later signs in with it.
   */
  private async register(
    provider: ProviderInfo,
    identity: ProviderIdentity,
  ): Promise<SocialOutcome> {
    const email = identity.verifiedEmail;
    if (email && (await this.users.findByLogin(email))) throw this.emailTaken(provider);
    try {
      const user = await this.users.createFromProvider({
        provider: provider.key,
        subject: identity.subject,
        email,
        name: identity.name,
        usernameBase: usernameBase(
          identity.handle ?? identity.name ?? email?.split('@')[0] ?? provider.key,
        ),
      });
      return { action: 'registered', user };
    } catch (error) {
      if (error instanceof AppError && error.code === 'EMAIL_TAKEN')
        throw this.emailTaken(provider);
      // The same identity finished signing in twice at once: the first created it, the second signs in.
      if (error instanceof AppError && error.code === 'IDENTITY_TAKEN') {
        const known = await this.users.findByProvider(provider.key, identity.subject);
        if (known) return { action: 'signed-in', user: known };
      }
      throw error;
    }
  }

  private emailTaken(provider: ProviderInfo): AppError {
    return new AppError(
      'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT',
      `An account with your ${provider.name} email address already exists. Sign in to it (with its password), then connect ${provider.name} from your settings.`,
    );
  }
}
