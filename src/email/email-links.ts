import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../platform/config/app-config';
import { EmailConfig, emailConfig } from './email-config';
import { MailOutbox } from './delivery/mail-outbox';
import { User } from '../users/schemas/user.schema';
import { OneTimeTokens } from './one-time-tokens';

/**
 * The messages that carry a link: each issues its token (voiding the account's older one of that
 * kind) and puts the message in the outbox, within the caller's transaction.
 */
@Injectable()
export class EmailLinks {
  constructor(
    private readonly tokens: OneTimeTokens,
    private readonly outbox: MailOutbox,
    private readonly config: AppConfig,
    @Inject(emailConfig.KEY) private readonly email: EmailConfig,
  ) {}

  /** Asks the owner of the account's email to confirm it. */
  async sendVerification(user: User, email: string): Promise<void> {
    const lifetime = this.email.EMAIL_VERIFICATION_TTL_SECONDS;
    const token = await this.tokens.issue('verify-email', user._id, email, lifetime);
    await this.outbox.send(email, 'verify-email', {
      link: this.link('/verify-email', token),
      hours: Math.round(lifetime / 3600),
    });
  }

  /**
   * An email change: the new address gets the link that applies it, naming the account it would
   * go to (whoever owns the address may have an account of their own); a verified old address gets
   * a notice with a link that cancels it.
   */
  async sendEmailChange(user: User, newEmail: string): Promise<void> {
    const lifetime = this.email.EMAIL_VERIFICATION_TTL_SECONDS;
    const confirm = await this.tokens.issue('change-email', user._id, newEmail, lifetime);
    await this.outbox.send(newEmail, 'confirm-new-email', {
      link: this.link('/verify-email', confirm),
      email: newEmail,
      username: user.username,
      hours: Math.round(lifetime / 3600),
    });
    if (user.email !== undefined && user.emailVerified) {
      const cancel = await this.tokens.issue('cancel-email-change', user._id, newEmail, lifetime);
      await this.outbox.send(user.email, 'email-change-started', {
        newEmail,
        cancelLink: this.link('/cancel-email-change', cancel),
      });
    }
  }

  /** A recovery link to the account's email: a new password, or a first one. */
  async sendRecovery(user: User, email: string): Promise<void> {
    const lifetime = this.email.PASSWORD_RESET_TTL_SECONDS;
    const token = await this.tokens.issue('reset-password', user._id, email, lifetime);
    await this.outbox.send(email, 'password-reset', {
      link: this.link('/reset-password', token),
      minutes: Math.round(lifetime / 60),
      hasPassword: typeof user.passwordHash === 'string',
    });
  }

  /**
   * A set-password link for the operator who asked for it (not mailed): it works once, for
   * PASSWORD_RESET_TTL_SECONDS, on the reset-password page, and voids the previous one.
   */
  async setPasswordLink(user: User, email: string): Promise<string> {
    const lifetime = this.email.PASSWORD_RESET_TTL_SECONDS;
    const token = await this.tokens.issue('set-password', user._id, email, lifetime);
    return this.link('/reset-password', token);
  }

  /** The page for a link, under PUBLIC_URL (path included). */
  private link(page: string, token: string): string {
    return `${this.config.publicUrl}${page}?token=${token}`;
  }
}
