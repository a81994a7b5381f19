import { Inject, Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { randomBytes } from 'node:crypto';
import { EventsService } from '../../../audit/events/events.service';
import { AccountNotices } from '../../../email/account-notices';
import { Transactions } from '../../../platform/database/transactions';
import { AppError } from '../../../platform/http/app-error';
import { MAX_PASSKEYS, Passkey, User } from '../../../users/schemas/user.schema';
import { AddPasskeyResult, UsersRepository } from '../../../users/users.repository';
import { ProvidersConfig, providersConfig } from '../identities/providers/providers-config';
import type { Auth } from '../../authenticated-request';
import { SessionsService } from '../../sessions/sessions.service';
import { SignInMethods, WayIn } from '../sign-in-methods';
import { NewCredential, PasskeyCeremonies } from './passkey-ceremonies';

/** What a passkey is called when its owner gives no name. */
const DEFAULT_NAME = 'Passkey';

/** A stored passkey for a verified registration. */
export function newPasskey(credential: NewCredential, name: string | undefined): Passkey {
  return {
    id: randomBytes(16).toString('base64url'),
    ...credential,
    name: name ?? DEFAULT_NAME,
    createdAt: new Date(),
  };
}

/** A signed-in person's passkeys: adding, listing, renaming, and removing under the never-lock-out rule. */
@Injectable()
export class PasskeysService {
  private readonly methods: SignInMethods;

  constructor(
    private readonly ceremonies: PasskeyCeremonies,
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly notices: AccountNotices,
    private readonly sessions: SessionsService,
    @Inject(providersConfig.KEY) { providers }: ProvidersConfig,
  ) {
    this.methods = new SignInMethods(providers.map(({ key }) => key));
  }

  /**
   * Options to create a passkey for `user`, which exclude its passkeys. The account's user handle
   * is made now if it has none. PASSKEY_LIMIT_REACHED when it holds MAX_PASSKEYS.
   */
  async creationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    if ((user.passkeys?.length ?? 0) >= MAX_PASSKEYS) throw limitReached();
    const handle = await this.users.claimWebauthnUserId(user._id, this.ceremonies.newUserHandle());
    if (handle === undefined) throw accountGone();
    return this.ceremonies.creationOptions(
      {
        handle,
        userName: user.email ?? user.username,
        displayName: user.name ?? user.username,
      },
      user.passkeys ?? [],
      { purpose: 'add', userId: user._id },
    );
  }

  /** Adds the passkey a registration response made; the verified address hears of it. */
  async add(user: User, response: object, name: string | undefined): Promise<Passkey> {
    const { credential } = await this.ceremonies.verifyCreation(response, 'add', user._id);
    const passkey = newPasskey(credential, name);
    // A refusal throws inside the transaction: after a unique-index violation only an error may follow.
    await this.transactions.run(async () => {
      const result = await this.users.addPasskey(user._id, passkey);
      if (result !== 'added') throw addRefused(result);
      await this.events.record({
        type: 'passkey.added',
        userId: user._id,
        details: { passkey: passkey.id, name: passkey.name },
      });
      await this.notices.send(user, 'passkey-notice', { name: passkey.name, action: 'added' });
    });
    return passkey;
  }

  list(user: User): Passkey[] {
    return user.passkeys ?? [];
  }

  async rename(user: User, id: string, name: string): Promise<Passkey> {
    const renamed = await this.users.renamePasskey(user._id, id, name);
    if (!renamed) throw notFound();
    return renamed;
  }

  /**
   * Removes a passkey in one conditional update whose filter is the never-lock-out rule:
   * LAST_LOGIN_METHOD when it is the account's last way in, PASSKEY_NOT_FOUND when it has none such.
   * The account's other sessions that signed in with it end, as when a provider is disconnected;
   * the one removing it stays.
   */
  async remove({ user, session }: Auth, id: string): Promise<void> {
    const passkey: WayIn = { method: 'passkey', id };
    const removed = await this.transactions.run(async () => {
      const gone = await this.users.removePasskey(
        user._id,
        id,
        this.methods.keepsAWayToSignIn(passkey),
      );
      if (gone) {
        await this.sessions.endOthers(user._id, session._id, passkey);
        await this.events.record({
          type: 'passkey.removed',
          userId: user._id,
          details: { passkey: gone.id, name: gone.name },
        });
        await this.notices.send(user, 'passkey-notice', { name: gone.name, action: 'removed' });
      }
      return gone;
    });
    if (removed) return;
    const current = await this.users.findById(user._id);
    if (!current) throw accountGone();
    if (!current.passkeys?.some((each) => each.id === id)) throw notFound();
    throw new AppError(
      'LAST_LOGIN_METHOD',
      'This passkey is your only way to sign in. Set a password, connect a provider or add another passkey before removing it.',
    );
  }
}

function addRefused(result: Exclude<AddPasskeyResult, 'added'>): AppError {
  switch (result) {
    case 'limit':
      return limitReached();
    case 'taken':
      return new AppError(
        'PASSKEY_ALREADY_REGISTERED',
        'This passkey is already registered to an account.',
        'response',
      );
    case 'no-account':
      return accountGone();
  }
}

function limitReached(): AppError {
  return new AppError(
    'PASSKEY_LIMIT_REACHED',
    `An account holds at most ${MAX_PASSKEYS} passkeys. Remove one before adding another.`,
  );
}

function notFound(): AppError {
  return new AppError('PASSKEY_NOT_FOUND', 'You have no passkey with that id.');
}

function accountGone(): AppError {
  return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
}
