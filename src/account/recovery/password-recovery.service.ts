import { Injectable, Logger } from '@nestjs/common';
import { AccountAttempts } from '../../sign-in/limits/account-attempts';
import { accountKeyOfUser } from '../../sign-in/limits/account-key';
import { PasswordHasher } from '../../sign-in/methods/password/password-hasher.service';
import { PasswordPolicy } from '../../sign-in/methods/password/password-policy.service';
import { SessionsService } from '../../sign-in/sessions/sessions.service';
import { Transactions } from '../../platform/database/transactions';
import { AccountNotices } from '../../email/account-notices';
import { EmailLinks } from '../../email/email-links';
import { MailSlots } from '../../email/mail-slots';
import { PASSWORD_LINKS } from '../../email/one-time-token.schema';
import { invalidLinkError, OneTimeTokens } from '../../email/one-time-tokens';
import { EventsService } from '../../audit/events/events.service';
import { LinkingService } from '../../sign-in/methods/identities/linking/linking.service';
import { UsersRepository } from '../../users/users.repository';

/**
 * Password recovery by email: a link to the account's address sets a new password (or a first one,
 * for an account that signs in only through providers). Using it proves control of the address.
 */
@Injectable()
export class PasswordRecovery {
  private readonly logger = new Logger('Recovery');

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: OneTimeTokens,
    private readonly links: EmailLinks,
    private readonly slots: MailSlots,
    private readonly notices: AccountNotices,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly transactions: Transactions,
    private readonly attempts: AccountAttempts,
    private readonly events: EventsService,
    private readonly linking: LinkingService,
  ) {}

  /**
   * Sends a recovery link if an account has this email. Returns at once, before looking, so the
   * answer and its timing are the same whether or not the account exists.
   */
  requestLink(email: string): void {
    this.sendLink(email).catch((error: unknown) =>
      this.logger.error({ err: error }, 'Could not prepare a recovery link'),
    );
  }

  /** The address a recovery (or set-password) link is about, without using it; null if dead. */
  async describeLink(token: unknown): Promise<{ email: string } | null> {
    const record = await this.tokens.find(PASSWORD_LINKS, token);
    const user = record && (await this.users.findById(record.userId));
    // A link sent to an address the account no longer has proves nothing now.
    return record && user?.email === record.email ? { email: record.email } : null;
  }

  /**
   * Sets the password from a recovery link: every session ends, a pending email change is
   * cancelled, the email counts as verified and failed sign-ins are forgotten (unlocking the
   * password). If it was not verified before, providers linked
   * meanwhile are unlinked: whoever linked them may not be the address's owner.
   * A set-password link (given to an operator, not mailed) sets the password and ends the
   * sessions, but proves nothing about the address: that stays as it was.
   */
  async reset(token: unknown, newPassword: string): Promise<void> {
    const record = await this.tokens.find(PASSWORD_LINKS, token);
    const account = record && (await this.users.findById(record.userId));
    if (!record || !account) throw invalidLinkError();
    this.policy.assertAcceptable(newPassword, 'newPassword', account);
    const passwordHash = await this.hasher.hash(newPassword, accountKeyOfUser(account._id));
    await this.transactions.run(async () => {
      const used = await this.tokens.consume(PASSWORD_LINKS, token);
      if (!used) throw invalidLinkError();
      const provesAddress = used.purpose === 'reset-password';
      const before = await this.users.findById(used.userId);
      const user = await this.users.resetPassword(
        used.userId,
        used.email,
        passwordHash,
        provesAddress,
      );
      // The address changed since the link was sent: the link proves nothing about the account now.
      if (!before || !user) throw invalidLinkError();
      const firstPassword = typeof before.passwordHash !== 'string';
      // A set-password link (create-admin's) is told apart from a mailed recovery link.
      const details = {
        ...(firstPassword && { firstPassword }),
        ...(!provesAddress && { link: 'set-password' }),
      };
      await this.events.record(
        {
          type: 'password.reset',
          userId: user._id,
          ...(Object.keys(details).length > 0 && { details }),
        },
        // Other backends see hasPassword alone: it changes with a first password.
        { webhook: firstPassword },
      );
      if (provesAddress) {
        if (!before.emailVerified) {
          await this.events.record({ type: 'email.verified', userId: user._id });
          await this.linking.unlinkLinkedBeforeVerification(user._id);
        }
        await this.tokens.void(user._id, ['verify-email', 'change-email', 'cancel-email-change']);
      }
      // The other kind of password link, if one is out, has nothing left to do.
      await this.tokens.void(user._id, PASSWORD_LINKS);
      await this.sessions.endAll(user._id);
      // Proving control of the address (or an operator handing over a link) ends a lock after too
      // many failed sign-ins.
      await this.attempts.clear(accountKeyOfUser(user._id));
      const action = firstPassword ? 'set' : 'reset';
      await this.notices.send(user, 'password-notice', { action });
    });
  }

  private async sendLink(email: string): Promise<void> {
    const user = await this.users.findByLogin(email);
    if (!user?.email) return;
    await this.transactions.run(async () => {
      // One link a minute per account: asking again and again must not flood its owner's mailbox.
      if (!(await this.slots.claim(user._id, 'recovery'))) return;
      await this.links.sendRecovery(user, user.email!);
      await this.events.record({ type: 'password.reset_requested', userId: user._id });
    });
  }
}
