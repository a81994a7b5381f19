import { Injectable } from '@nestjs/common';
import { accountDisabledError } from '../../account-disabled';
import type { Auth } from '../../authenticated-request';
import { AppError } from '../../../platform/http/app-error';
import { Transactions } from '../../../platform/database/transactions';
import type { BatchWrite } from '../../../platform/database/write-batches';
import { userActor } from '../../../audit/events/event.schema';
import { EventsService } from '../../../audit/events/events.service';
import { LinkingService } from './linking/linking.service';
import type { ProviderIdentity } from './providers/provider-identity';
import { usernameBase, usernameBaseFromEmail } from '../../../users/identifiers';
import { User } from '../../../users/schemas/user.schema';
import { UsersRepository } from '../../../users/users.repository';
import type { SignInFlow } from './sign-in-flow.schema';
import { withRegistrableEmail } from './vouched-email';

export interface SocialOutcome {
  action: 'signed-in' | 'registered' | 'linked' | 'reauthenticated';
  user: User;
  returnTo: string;
  /** What a sign-in still writes, with its session (SignInRecord): the audit event. */
  writes?: BatchWrite[];
}

interface ProviderName {
  key: string;
  name: string;
}

/**
 * What a verified provider identity does, by the flow's purpose: sign in (or create an account),
 * link it to the account that started the flow, or confirm that account's person.
 */
@Injectable()
export class SocialSignInService {
  constructor(
    private readonly users: UsersRepository,
    private readonly linking: LinkingService,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
  ) {}

  async complete(
    provider: ProviderName,
    vouched: ProviderIdentity,
    flow: SignInFlow,
    current: Auth | null,
  ): Promise<SocialOutcome> {
    const identity = withRegistrableEmail(vouched);
    const { returnTo } = flow;
    if (flow.purpose === 'sign-in')
      return { ...(await this.signInOrRegister(provider, identity)), returnTo };
    // Linking and confirming finish only in the session that started them.
    if (!current || current.session._id !== flow.sessionId) {
      throw new AppError(
        'SIGN_IN_CHANGED',
        `You signed out or switched accounts while ${provider.name} was asked, so nothing was changed. Please try again from your settings.`,
      );
    }
    if (flow.purpose === 'link') {
      return {
        action: 'linked',
        user: await this.linking.link(current.user, identity),
        returnTo,
      };
    }
    const owner = await this.users.findByIdentity(identity.provider, identity.subject);
    if (!owner || !owner._id.equals(current.user._id)) {
      throw new AppError(
        'IDENTITY_MISMATCH',
        `That ${provider.name} account is not connected to your account, so it cannot confirm it's you.`,
      );
    }
    await this.users.touchIdentity(identity.provider, identity.subject);
    return { action: 'reauthenticated', user: current.user, returnTo };
  }

  private async signInOrRegister(
    provider: ProviderName,
    identity: ProviderIdentity,
  ): Promise<Omit<SocialOutcome, 'returnTo'>> {
    const known = await this.users.findByIdentity(identity.provider, identity.subject);
    if (known) return this.signedIn(known, identity);
    return this.register(provider, identity);
  }

  private async signedIn(
    user: User,
    identity: ProviderIdentity,
  ): Promise<Omit<SocialOutcome, 'returnTo'>> {
    if (user.disabled === true) throw accountDisabledError();
    await this.users.touchIdentity(identity.provider, identity.subject);
    return { action: 'signed-in', user, writes: [] };
  }

  /**
   * A new account for a new identity. An email that already belongs to an account is never merged:
   * someone may have registered it first to take over whoever later signs in with it. If that
   * account never proved the address, it loses it to the person whose provider just did.
   */
  private async register(
    provider: ProviderName,
    identity: ProviderIdentity,
  ): Promise<Omit<SocialOutcome, 'returnTo'>> {
    const email = identity.verifiedEmail;
    try {
      const user = await this.transactions.run(async () => {
        const holder = email ? await this.users.findByLogin(email) : null;
        if (holder?.emailVerified) throw emailTaken(provider);
        const released = email && holder ? await this.users.releaseUnverifiedEmail(email) : null;
        const created = await this.users.createFromProvider({
          provider: identity.provider,
          subject: identity.subject,
          email,
          name: identity.name,
          usernameBase: usernameSource(identity, email, provider.key),
        });
        const actor = userActor(created._id);
        if (released) {
          // The account that only claimed the address loses it to the person who proved it.
          await this.events.record({
            type: 'email.changed',
            userId: released._id,
            actor,
            details: { released: true },
          });
        }
        await this.events.record({
          type: 'user.created',
          userId: created._id,
          actor,
          details: { method: 'provider', provider: identity.provider },
        });
        return created;
      });
      return { action: 'registered', user };
    } catch (error) {
      if (error instanceof AppError && error.code === 'EMAIL_TAKEN') throw emailTaken(provider);
      // The same identity finished signing in twice at once: the first created it, the second signs in.
      if (error instanceof AppError && error.code === 'IDENTITY_TAKEN') {
        const known = await this.users.findByIdentity(identity.provider, identity.subject);
        if (known) return this.signedIn(known, identity);
      }
      throw error;
    }
  }
}

/** A new account's username starts from the provider's handle, the name, the email, or the provider. */
function usernameSource(
  identity: ProviderIdentity,
  email: string | undefined,
  key: string,
): string {
  const chosen = identity.handle ?? identity.name;
  if (chosen !== undefined) return usernameBase(chosen);
  return email ? usernameBaseFromEmail(email) : usernameBase(key);
}

function emailTaken(provider: ProviderName): AppError {
  return new AppError(
    'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT',
    `An account with your ${provider.name} email address already exists. Sign in to it (with its password), then connect ${provider.name} from your settings.`,
  );
}
