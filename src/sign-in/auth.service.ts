import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../platform/http/app-error';
import { Transactions } from '../platform/database/transactions';
import type { BatchWrite } from '../platform/database/write-batches';
import { AccountNotices } from '../email/account-notices';
import { EmailLinks } from '../email/email-links';
import { MailSlots } from '../email/mail-slots';
import { userActor } from '../audit/events/event.schema';
import { EventsService, Tally } from '../audit/events/events.service';
import { SignInMetrics } from '../platform/metrics/sign-in-metrics';
import { ProfileFields } from '../users/profile-fields/profile-fields.service';
import { usernameBaseFromEmail } from '../users/identifiers';
import { User } from '../users/schemas/user.schema';
import { NewUser, UsersRepository } from '../users/users.repository';
import { AccountAttempts } from './limits/account-attempts';
import { accountDisabledError } from './account-disabled';
import { accountKeyOfLogin, accountKeyOfUser } from './limits/account-key';
import { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './methods/password/password-hasher.service';
import { PasswordPolicy } from './methods/password/password-policy.service';
import { metricsLabelOf } from './methods/sign-in-methods';
import { SignInRecord } from './sign-in-record';

/**
 * Failed sign-ins with logins that match no account are counted in one event per client address and
 * quarter hour, kept a day: a credential-stuffing run writes one record per address and window, not
 * one per attempt for 90 days.
 */
const UNKNOWN_LOGIN_TALLY: Tally = { windowMs: 15 * 60_000, keepMs: 24 * 3600_000 };

/** Creating local accounts and checking their passwords. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly attempts: AccountAttempts,
    private readonly transactions: Transactions,
    private readonly links: EmailLinks,
    private readonly slots: MailSlots,
    private readonly notices: AccountNotices,
    private readonly profileFields: ProfileFields,
    private readonly signIns: SignInMetrics,
    private readonly events: EventsService,
  ) {}

  /** A new password account; its email gets a verification link in the same step. */
  async register(dto: RegisterDto): Promise<User> {
    const data = this.profileFields.forRegistration(dto.data);
    const usernameBase = usernameBaseFromEmail(dto.email);
    // Without a chosen username the account gets one made from the email: the password must not
    // contain that either (a number may be added to it, which changes nothing here).
    this.policy.assertAcceptable(dto.password, 'password', {
      email: dto.email,
      username: dto.username ?? usernameBase,
    });
    const passwordHash = await this.hasher.hash(dto.password, accountKeyOfLogin(dto.email));
    return this.createAccount(
      {
        email: dto.email,
        username: dto.username,
        usernameBase,
        name: dto.name,
        passwordHash,
        data,
      },
      'password',
    );
  }

  /**
   * A new account with an email, signed up with `method` (a password, a passkey); its email gets a
   * verification link in the same transaction. EMAIL_TAKEN or USERNAME_TAKEN when another account
   * holds either (the unique indexes decide).
   */
  createAccount(
    fields: NewUser & { email: string },
    method: 'password' | 'passkey',
  ): Promise<User> {
    return this.transactions.run(async () => {
      const user = await this.users.create(fields);
      await this.links.sendVerification(user, user.email!);
      // Asking for the link again waits a minute (an email change does not).
      await this.slots.record(user._id, 'confirmation');
      await this.events.record({
        type: 'user.created',
        userId: user._id,
        actor: userActor(user._id),
        details: { method },
      });
      return user;
    });
  }

  /**
   * The password sign-in, for the API and the page alike: the account for an email-or-username
   * and password. Every failure gives the same error, and an unknown account still costs one
   * password verification, so neither reveals which accounts exist. A disabled account's right
   * password is refused with ACCOUNT_DISABLED; a wrong one fails as for any account. What a
   * success writes (the failures set back to zero) is left in the SignInRecord, for
   * SignInService.complete to send with the session and its audit event.
   */
  verifyCredentials(login: string, password: string): Promise<SignInRecord> {
    return this.signIns.track(
      metricsLabelOf({ method: 'password' }),
      this.checkCredentials(login, password),
    );
  }

  private async checkCredentials(login: string, password: string): Promise<SignInRecord> {
    // The account and the admission of the check in one round trip; counted per login typed when
    // there is no account: the answers are the same.
    const deferred: BatchWrite[] = [];
    const { user, matches, locked } = await this.attempts.checkLogin(
      login,
      (found, key, signal) => this.hasher.verify(found?.passwordHash, password, key, signal),
      // A disabled account signs in nowhere: its right password sets the failures back at once.
      (found) => (found?.disabled === true ? undefined : deferred),
    );
    if (locked) await this.reportLocked(user);
    if (!user || !matches) {
      await this.recordFailure(user, locked);
      throw new AppError('INVALID_CREDENTIALS', 'The login or password is incorrect.');
    }
    if (user.disabled === true) throw accountDisabledError();
    await this.upgradeHash(user, password);
    return new SignInRecord(user, { method: 'password' }, deferred, true);
  }

  /**
   * A wrong password, on the account's record; an unknown login on none, counted per client
   * (UNKNOWN_LOGIN_TALLY), and what was typed is not kept (it may be a password typed in the wrong
   * field). Attempts refused by the limits checked no password and are not recorded: the failure
   * that locked the account says so. Either way one write, so the answer takes as long.
   */
  private async recordFailure(user: User | null, locked: boolean): Promise<void> {
    const details = {
      method: 'password',
      reason: user ? 'wrong_password' : 'unknown_login',
      ...(locked && { locked: true }),
    };
    if (user) await this.events.record({ type: 'sign_in.failed', userId: user._id, details });
    else await this.events.countPerClient({ type: 'sign_in.failed', details }, UNKNOWN_LOGIN_TALLY);
  }

  /**
   * Checks the password of a signed-in account (to confirm a change, or to re-authenticate).
   * Throws WRONG_PASSWORD naming `field`, or NO_PASSWORD when the account has none.
   */
  async confirmPassword(user: User, password: string, field: string): Promise<void> {
    if (typeof user.passwordHash !== 'string') {
      throw new AppError(
        'NO_PASSWORD',
        'Your account has no password. Confirm it is you with a connected provider instead: GET /auth/{key}?reauth=1 (the "Confirm with …" buttons of the settings page).',
      );
    }
    const key = accountKeyOfUser(user._id);
    const hash = user.passwordHash;
    const { matches, locked } = await this.attempts.check(key, () =>
      this.hasher.verify(hash, password, key),
    );
    if (locked) await this.reportLocked(user);
    if (!matches) {
      throw new AppError('WRONG_PASSWORD', 'The password is incorrect.', field);
    }
    await this.upgradeHash(user, password);
  }

  /**
   * The failure that locked an account's password: logged, and its owner told at the verified
   * address how to unlock it (for an unknown login there is nobody to tell).
   */
  private async reportLocked(user: User | null): Promise<void> {
    this.logger.warn(
      { userId: user ? String(user._id) : null },
      'Password sign-in locked after too many consecutive failures',
    );
    if (user) {
      await this.notices.send(user, 'sign-in-locked', { recoveryLink: this.notices.recoveryPage });
    }
  }

  /** Rehashes with the current parameters when they changed, unless the password changed meanwhile. */
  private async upgradeHash(user: User, password: string): Promise<void> {
    if (user.passwordHash && this.hasher.needsRehash(user.passwordHash)) {
      const upgraded = await this.hasher.hash(password, accountKeyOfUser(user._id));
      await this.users.upgradePasswordHash(user._id, user.passwordHash, upgraded);
    }
  }
}
